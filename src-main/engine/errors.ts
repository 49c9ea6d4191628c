/**
 * A mistake the person can fix (wrong folder, missing file, bad option). The CLI prints its
 * message as one line without a stack trace; the app shows it as it is. Anything else is a bug.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: string = 'user-error',
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Thrown when an AbortSignal stops work that has no useful partial result. */
export class AbortedError extends Error {
  constructor(message = 'Stopped') {
    super(message);
    this.name = 'AbortedError';
  }
}
