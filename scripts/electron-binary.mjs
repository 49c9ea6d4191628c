// Finds Electron's executable without starting it. The `electron` npm package downloads its binary
// in a postinstall step, which is skipped or blocked on some machines; then `require('electron')`
// throws, and callers need one clear reason instead of the package's advice to reinstall.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * @param {string} root the project folder (holds node_modules/electron)
 * @returns {{ path: string, reason?: undefined } | { path?: undefined, reason: string }}
 */
export function electronBinary(root) {
  const require = createRequire(join(root, 'package.json'));
  let executable;
  try {
    executable = require('electron');
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') return { reason: 'the electron package is not installed' };
    const dist = join(root, 'node_modules/electron/dist');
    return {
      reason: existsSync(dist)
        ? `require('electron') failed: ${error instanceof Error ? error.message : String(error)}`
        : 'node_modules/electron/dist is missing: its download was skipped or blocked at install',
    };
  }
  if (typeof executable !== 'string' || !existsSync(executable)) {
    return { reason: `${String(executable)} does not exist` };
  }
  return { path: executable };
}
