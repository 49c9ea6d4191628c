import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder } from '../fixtures/image-folder';
import { connectWs } from '../fixtures/ws-client';
import { removeDir, tempDir } from '../services/helpers';
import { connectRaw, upgradeRequest } from './raw-websocket';

/**
 * Issue 17, polish: `serve` did not exit within 20 s of SIGTERM. A connection whose upgrade was
 * refused and that the client left half-open kept `server.close` waiting forever, and the CLI's
 * `serve` had no SIGTERM handler at all (killed at once: database not closed, WAL left behind).
 * Both entry points, as real processes, with the ML host running, a WebSocket open, an idle
 * keep-alive connection and a half-open refused upgrade: SIGTERM must end them within 3 s, exit 0,
 * with the ML host gone and the database closed.
 */

const repo = join(import.meta.dirname, '..', '..');
const URL_LINE = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+)/;

let scratch: string;
let folder: string;

beforeAll(async () => {
  scratch = tempDir('shutdown');
  folder = join(scratch, 'pictures');
  await makeImageFolder(folder, { perClass: 2 });
});

afterAll(() => removeDir(scratch));

function childrenOf(pid: number): { pid: number; args: string }[] {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).trim();
  return lines
    ? lines.split('\n').map((line) => {
        const [, id, args] = /^\s*(\d+)\s+(.*)$/.exec(line)!;
        return { pid: Number(id), args };
      })
    : [];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

const entries = [
  { name: 'the CLI command `serve`', args: ['src-main/cli/main.ts', 'serve'] },
  { name: '`npm run serve` (src-main/server/main.ts)', args: ['src-main/server/main.ts'] },
];

describe.each(entries)('SIGTERM to $name', ({ args }) => {
  it('closes every connection, stops the ML host and closes the database, within 3 s and with exit code 0', async () => {
    const dataDir = join(scratch, `data-${args.length}`);
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args, '--port', '0', '--data-dir', dataDir], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    try {
      expect(await waitFor(() => URL_LINE.test(log), 60_000), log).toBe(true);
      const [, port, token] = URL_LINE.exec(log)!;

      const api = await connectWs(`ws://127.0.0.1:${port}/ws?token=${token}`);
      const dataset = await api.client.invoke('datasets.addFolder', { path: folder });
      expect(dataset.imageCount).toBe(6);
      const mlHost = childrenOf(child.pid!).find((c) => c.args.includes('ml-host'));
      expect(mlHost, `no ML host child: ${JSON.stringify(childrenOf(child.pid!))}`).toBeDefined();

      // A refused upgrade the client never closes, and an idle keep-alive connection.
      const halfOpen = await connectRaw(Number(port), { allowHalfOpen: true });
      halfOpen.socket.write(upgradeRequest('/ws', `127.0.0.1:${port}`));
      const keepAlive = await connectRaw(Number(port));
      keepAlive.socket.write(`GET /?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      expect(await waitFor(() => halfOpen.received().includes('401') && keepAlive.received().includes('\r\n\r\n'), 5_000)).toBe(true);

      const sent = Date.now();
      child.kill('SIGTERM');
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 3_000));
      const exit = await Promise.race([exited, timeout]);
      expect(exit, `still running 3 s after SIGTERM:\n${log}`).not.toBeNull();
      expect(exit!.signal, log).toBeNull();
      expect(exit!.code, log).toBe(0);
      console.log(`serve exited ${exit!.at - sent} ms after SIGTERM`);

      expect(await waitFor(() => !alive(mlHost!.pid), 2_000), 'the ML host outlived serve').toBe(true);
      // SQLite removes the write-ahead log when the last connection closes cleanly.
      expect(existsSync(join(dataDir, 'studio.db-wal')), 'studio.db-wal left behind: the database was not closed').toBe(false);
      const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      expect(log).toContain('stopping (SIGTERM)');
      expect(log).not.toMatch(/\n\s+at /);
      api.close();
      halfOpen.socket.destroy();
      keepAlive.socket.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
