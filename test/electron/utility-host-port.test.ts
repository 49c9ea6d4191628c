import { fork as forkChild } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forkUtilityHostPort, type UtilityFork, type UtilityProcessLike } from '../../src-main/electron/utility-host-port';
import { MlHost } from '../../src-main/ml-host/client';
import type { MlHostExit } from '../../src-main/ml-host/port';

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'utility-port-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Electron's utilityProcess.fork is only available inside Electron. This stand-in starts a real
 * Node child and speaks the UtilityProcess surface (postMessage, 'spawn', 'message', 'exit' with a
 * code, piped stdout/stderr), so the port's queueing and crash reporting run against a real process.
 */
const nodeUtilityFork: UtilityFork = (modulePath, args, options) => {
  const child = forkChild(modulePath, args, {
    env: options.env,
    execArgv: modulePath.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    cwd: root,
  });
  const emitter = new EventEmitter() as EventEmitter & UtilityProcessLike;
  let spawned = false;
  Object.assign(emitter, {
    stdout: child.stdout,
    stderr: child.stderr,
    // The strictest reading of Electron's docs: a message before 'spawn' is lost.
    postMessage: (message: unknown) => spawned && child.send(message as object),
    kill: () => child.kill(),
  });
  child.on('spawn', () => {
    spawned = true;
    emitter.emit('spawn');
  });
  child.on('message', (message) => emitter.emit('message', message));
  child.on('exit', (code, signal) => emitter.emit('exit', code ?? (signal ? 128 : 0)));
  return emitter;
};

describe('utilityProcess ML host port', () => {
  it('runs operations on the real ML host, sending calls queued before spawn', async () => {
    const logs: string[] = [];
    const host = new MlHost(() =>
      forkUtilityHostPort({
        fork: nodeUtilityFork,
        entry: join(root, 'src-main/ml-host/main.ts'),
        env: { ...process.env, SHUFFLENET_BACKEND: 'cpu' },
        log: (text) => logs.push(text),
      }),
    );
    try {
      // Sent synchronously after fork, i.e. before the process is up.
      const backend = await host.call('initBackend', {});
      expect(backend.name).toBe('cpu');
      expect(backend.threads).toBeGreaterThanOrEqual(1);
    } finally {
      host.dispose();
    }
  });

  it('reports a crash with its exit code and last stderr line, and rejects pending calls', async () => {
    const script = join(scratch, 'crash.cjs');
    writeFileSync(script, "process.on('message', () => { process.stderr.write('loading model\\nout of memory: 12 GB needed\\n'); process.exit(3); });\n");
    const exits: MlHostExit[] = [];
    const host = new MlHost(() => forkUtilityHostPort({ fork: nodeUtilityFork, entry: script, log: () => {} }));
    host.onCrash((exit) => exits.push(exit));
    await expect(host.call('initBackend', {})).rejects.toMatchObject({
      code: 'ml-host-crashed',
      message: 'The ML host process exited with code 3: out of memory: 12 GB needed',
    });
    expect(exits).toEqual([{ code: 3, signal: null, lastStderr: 'out of memory: 12 GB needed' }]);
    host.dispose();
  });
});
