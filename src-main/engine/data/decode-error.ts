/**
 * An image file that cannot be used. `reason` is a short human sentence ("empty file (0 bytes)",
 * "not an image (text file)", "truncated or corrupt PNG: ..."); the file is skipped and reported,
 * never fatal.
 */
export class DecodeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DecodeError';
  }
}
