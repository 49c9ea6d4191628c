import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type Page } from '@playwright/test';

const root = join(import.meta.dirname, '..', '..');
const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/;

export interface ServeInstance {
  /** The printed URL, with the token: what a person opens. */
  url: string;
  origin: string;
  token: string;
  /** The WebSocket API address, token included (for connectWs). */
  wsUrl: string;
  dataDir: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real serve mode (what `npm run serve -- --port 0` runs) with a fresh
 * data folder and resolves once it prints its URL. The server runs in its own process group so
 * that `stop` also ends the ML host it forked.
 */
export async function startServe(options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ServeInstance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-e2e-data-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/server/main.ts', '--port', '0', '--data-dir', dataDir], {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within ${options.timeoutMs ?? 60_000} ms:\n${log}`)), options.timeoutMs ?? 60_000);
    const check = () => {
      const match = URL_LINE.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with code ${code} before printing its URL:\n${log}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    wsUrl: `ws://${parsed.host}/ws?token=${parsed.searchParams.get('token')!}`,
    dataDir,
    output: () => log,
    stop: () => stopGroup(child).finally(() => rmSync(dataDir, { recursive: true, force: true })),
  };
}

/**
 * The hooks every spec that drives one serve instance needs: after all tests close the page, stop
 * the server and remove the scratch folder; after a failed test attach what the server printed.
 * `state` is read when the hooks run, so the spec may fill it in beforeAll.
 */
export function serveSpecHooks(state: () => { page?: Page; serve?: ServeInstance; scratch?: string }): void {
  test.afterAll(async () => {
    const { page, serve, scratch } = state();
    await page?.close();
    await serve?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  test.afterEach(async ({}, testInfo) => {
    const { serve } = state();
    if (testInfo.status !== testInfo.expectedStatus && serve) await testInfo.attach('serve output', { body: serve.output() });
  });
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
