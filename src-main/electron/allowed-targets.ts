import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ApiError } from '../contract';

/**
 * What the desktop app lets its page hand to the operating system (issue 17 item 1f). A page that
 * went wrong (a script injected through a file name, a compromised dependency) must not open any
 * address in the browser or reveal any file on disk. Pure functions, no Electron import, so they are
 * unit-tested without a binary (test/electron/allowed-targets.test.ts). Only the filesystem is read.
 */

/**
 * Hosts the app may open in the person's browser, exactly (no subdomains): where its code and the
 * CIFAR-10 dataset it downloads live. The page links to no other site; add a host here together
 * with the link that needs it.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'www.cs.toronto.edu'];

/** True for an `https://` address on one of `hosts`, on the default port and without credentials. */
export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.port === '' && parsed.username === '' && parsed.password === '' && hosts.includes(parsed.hostname);
}

/**
 * True when `path` is one of `folders` or inside one: the app's data folder, the dataset folders in
 * its database, the folders it exported to. The path is resolved first, so `..` cannot step out.
 */
export function isInsideKnownFolder(path: string, folders: Iterable<string>): boolean {
  if (typeof path !== 'string' || path === '' || path.includes('\0') || !isAbsolute(path)) return false;
  const target = resolve(path);
  for (const folder of folders) {
    if (!folder || !isAbsolute(folder)) continue;
    const rest = relative(resolve(folder), target);
    const outside = rest === '..' || rest.startsWith(`..${sep}`) || isAbsolute(rest);
    if (!outside) return true;
  }
  return false;
}

/**
 * What `dialogs.showInFolder` checks before the file manager sees a path: it and where its
 * symlinks lead are both inside a known folder, and it exists.
 * @throws ApiError invalid-input for a path outside the known folders, not-found for a missing one.
 */
export async function checkRevealable(path: string, folders: Iterable<string>): Promise<void> {
  const given = [...folders];
  const real = await realpath(path).catch(() => null);
  const realFolders = await Promise.all(given.map((folder) => realpath(folder).catch(() => folder)));
  if (!isInsideKnownFolder(path, given) || (real !== null && !isInsideKnownFolder(real, realFolders))) {
    throw new ApiError('invalid-input', `Not shown: ${path} is not in the app's data folder, a dataset folder or a folder it exported to`);
  }
  if (real === null) throw new ApiError('not-found', `Not shown: ${path} does not exist (any more)`);
}
