/**
 * Errors that cross a transport. On the wire an error is only `{ code, message }`; the client
 * re-throws it as an `ApiError` so callers can branch on `code` without parsing messages.
 */

/** Codes a client can branch on. Anything unexpected on the server arrives as `internal`. */
export const ERROR_CODES = [
  'invalid-input',
  'invalid-output',
  'unknown-method',
  'unknown-event',
  'not-found',
  'user-error',
  'conflict',
  'unavailable',
  'aborted',
  'ml-host-crashed',
  'transport-closed',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number] | (string & {});

export interface WireError {
  code: ErrorCode;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

/**
 * Turns anything thrown by a handler into its wire form. Engine `UserError`s keep their code
 * (matched by name so the contract needs no engine import); other errors keep their message,
 * because a person should still see what went wrong, under the `internal` code.
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof ApiError) return error.toWire();
  if (error instanceof Error) {
    const coded = error as Error & { code?: unknown };
    if (error.name === 'UserError') {
      return { code: typeof coded.code === 'string' ? coded.code : 'user-error', message: error.message };
    }
    if (error.name === 'AbortedError' || error.name === 'AbortError') return { code: 'aborted', message: error.message };
    return { code: 'internal', message: error.message || error.name };
  }
  return { code: 'internal', message: String(error) };
}

export function fromWireError(error: WireError): ApiError {
  return new ApiError(error.code, error.message);
}
