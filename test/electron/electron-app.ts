import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from '@playwright/test';
import { electronBinary } from '../../scripts/electron-binary.mjs';

export const root = join(import.meta.dirname, '..', '..');

/** The Electron executable, or why there is none (then the desktop specs skip). */
export const electron = electronBinary(root);
export const SKIP_REASON = 'Electron binary not installed (download blocked); desktop shell specs skipped';

export interface LaunchedApp {
  app: ElectronApplication;
  window: Page;
  dataDir: string;
  close(): Promise<void>;
}

/** Starts the built desktop app (dist-main/) with a fresh data folder and waits for its window. */
export async function launchApp(): Promise<LaunchedApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-electron-data-'));
  const app = await _electron.launch({
    executablePath: electron.path!,
    args: [root, `--data-dir=${dataDir}`, ...(process.env.CI ? ['--no-sandbox'] : [])],
    cwd: root,
    env: { ...process.env, SHUFFLENET_BACKEND: process.env.SHUFFLENET_BACKEND ?? 'cpu' },
  });
  const window = await app.firstWindow();
  await window.waitForLoadState('domcontentloaded');
  return {
    app,
    window,
    dataDir,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
