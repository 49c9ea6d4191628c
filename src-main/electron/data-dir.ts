import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../server/data-dir';

/**
 * The data folder: `--data-dir DIR` on the command line, else the same folder serve mode uses
 * (`$SHUFFLENET_STUDIO_DATA_DIR` or the OS's per-user app data folder), so the desktop app and
 * `npm run serve` show the same datasets and runs.
 */
export function resolveDataDir(argv: readonly string[]): string {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'data-dir': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const flag = values['data-dir'];
  return typeof flag === 'string' && flag.trim() ? resolve(flag) : defaultDataDir();
}
