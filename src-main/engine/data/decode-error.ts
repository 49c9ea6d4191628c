import { relative, sep } from 'node:path';

/**
 * An image file that cannot be used. `reason` is a short sentence in plain words ("empty file
 * (0 bytes)", "not an image (text file)", "damaged or incomplete PNG file"); `detail` keeps what
 * the decoder or the OS said, word for word ("VipsJpeg: premature end of JPEG image", "EACCES"),
 * for the person who wants to look closer. The file is skipped and reported, never fatal.
 */
export class DecodeError extends Error {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail ? `${reason} (${detail})` : reason);
    this.name = 'DecodeError';
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'it no longer exists',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of its path is not a folder',
  EIO: 'the disk reported a read error',
  EMFILE: 'too many files open',
  ENAMETOOLONG: 'its path is too long',
};

/** A file system error in plain words, e.g. "permission denied"; unknown codes are kept as they are. */
export function errnoInWords(err: unknown): { words: string; code: string } {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? (err as Error | null)?.message ?? String(err);
  return { words: ERRNO_WORDS[code] ?? code, code };
}

/**
 * A skip reason with its detail as one line of text, for stores that keep one text column (the
 * pixel cache, the images table); `splitSkipReason` reverses it. A reason never holds a newline.
 */
export function joinSkipReason(reason: string, detail?: string): string {
  return detail ? `${reason}\n${detail}` : reason;
}

export function splitSkipReason(text: string): { reason: string; detail?: string } {
  const newline = text.indexOf('\n');
  return newline === -1 ? { reason: text } : { reason: text.slice(0, newline), detail: text.slice(newline + 1) };
}

/**
 * Why a folder cannot become a dataset although it has files: how many were skipped, and the
 * first reasons, on one line. Used where a dataset would be created (the engine's walk, the services).
 */
export function noReadableImageMessage(root: string, skipped: readonly { path: string; reason: string }[]): string {
  const SHOWN = 3;
  const examples = skipped.slice(0, SHOWN).map((file) => `${relative(root, file.path).split(sep).join('/')}: ${file.reason}`);
  const more = skipped.length > SHOWN ? `; and ${skipped.length - SHOWN} more` : '';
  const files = skipped.length === 1 ? 'its only file was' : `all ${skipped.length} files were`;
  return `No readable image in ${root}: ${files} skipped (${examples.join('; ')}${more}); nothing was added`;
}
