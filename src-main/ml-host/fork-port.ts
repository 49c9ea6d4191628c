import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LastLine, type MlHostExit, type MlHostPort } from './port';
import type { HostReply, HostRequest } from './protocol';

/** The host entry beside this file: compiled `main.js` when present, else `main.ts` (run through tsx). */
export function defaultHostEntry(): string {
  const js = fileURLToPath(new URL('./main.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./main.ts', import.meta.url));
}

export interface ForkPortOptions {
  entry?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the host's own output goes; the app's stdout stays clean (serve prints one line). */
  log?: (text: string) => void;
}

/** An ML host in a `child_process.fork` child. */
export function forkHostPort(options: ForkPortOptions = {}): MlHostPort {
  const entry = options.entry ?? defaultHostEntry();
  const log = options.log ?? ((text: string) => process.stderr.write(text));
  const child = fork(entry, [], {
    execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const lastStderr = new LastLine();
  child.stdout?.setEncoding('utf8').on('data', log);
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    lastStderr.push(chunk);
    log(chunk);
  });
  const exitListeners: ((exit: MlHostExit) => void)[] = [];
  let exited = false;
  const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
    if (exited) return;
    exited = true;
    for (const listener of exitListeners) listener({ code, signal, lastStderr: lastStderr.value });
  };
  // 'close' waits for stderr to drain, so the last line is complete; 'error' covers a failed spawn.
  child.on('close', onEnd);
  child.on('error', (error) => {
    lastStderr.push(`${error.message}\n`);
    onEnd(child.exitCode, child.signalCode);
  });
  return {
    send(message: HostRequest) {
      if (!exited && child.connected) child.send(message);
    },
    onMessage(listener) {
      child.on('message', (message) => listener(message as HostReply));
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill() {
      if (!exited) child.kill('SIGTERM');
    },
  };
}
