import { UserError } from '../engine/api';

/** Reads a numeric option, with a clear error naming the option when it is not a number. */
export function numberOption(values: Record<string, unknown>, name: string, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new UserError(`--${name} expects a number, got "${String(raw)}"`);
  }
  return value;
}

/** Reads a numeric option that must be one of a few values. */
export function choiceOption<T extends number | string>(values: Record<string, unknown>, name: string, choices: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const match = choices.find((choice) => String(choice) === String(raw) || Number(choice) === Number(raw));
  if (match === undefined) throw new UserError(`--${name} must be one of ${choices.join(', ')}; got "${String(raw)}"`);
  return match;
}

export function requiredString(values: Record<string, unknown>, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '') throw new UserError(`--${name} is required`);
  return raw;
}
