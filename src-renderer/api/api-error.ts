import { ApiError } from '../../src-main/contract/errors';

export { ApiError };

/** Turns anything thrown into an ApiError so the UI always has a code and a readable message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const { code, message } = err as { code: unknown; message: unknown };
    if (typeof code === 'string' && typeof message === 'string') return new ApiError(code, message);
  }
  if (err instanceof Error) return new ApiError('internal', err.message || err.name);
  return new ApiError('internal', String(err));
}
