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

/** Whether `error` is a write the disk had no room for (no space left, or the quota is used up). */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Whether `error` is a write past the largest file this file system or process may make (EFBIG: FAT32's 4 GB, `ulimit -f`). */
export function isFileTooLarge(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EFBIG';
}

/**
 * Throws when a model's outputs hold NaN or infinity: its weights are broken (a diverged run, or a
 * checkpoint damaged where no checksum could tell), and no prediction or score made from them means
 * anything, so none is reported.
 */
export function assertFiniteLogits(logits: Float32Array, checkpointDir: string): void {
  if (logits.every(Number.isFinite)) return;
  throw new UserError(
    `the model of checkpoint ${checkpointDir} gives non-finite outputs (NaN or infinity): its weights are broken, e.g. by a run that diverged; use an earlier checkpoint of the run or train again`,
    'non-finite-output',
  );
}
