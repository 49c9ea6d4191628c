import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where serve mode keeps its data when not told: `$SHUFFLENET_STUDIO_DATA_DIR`, else the
 * per-user application data folder of the OS.
 */
export function defaultDataDir(): string {
  if (process.env.SHUFFLENET_STUDIO_DATA_DIR) return process.env.SHUFFLENET_STUDIO_DATA_DIR;
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'ShuffleNet Studio');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'ShuffleNet Studio');
  return join(process.env.XDG_DATA_HOME || join(home, '.local', 'share'), 'shufflenet-studio');
}
