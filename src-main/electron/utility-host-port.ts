import { LastLine, type MlHostExit, type MlHostPort } from '../ml-host/port';
import type { HostReply, HostRequest } from '../ml-host/protocol';

/** The part of Electron's `UtilityProcess` the port uses. */
export interface UtilityProcessLike {
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'spawn', listener: () => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): this;
}

export type UtilityFork = (modulePath: string, args: string[], options: { env: NodeJS.ProcessEnv; stdio: 'pipe'; serviceName: string }) => UtilityProcessLike;

export interface UtilityHostPortOptions {
  /** `utilityProcess.fork` in the app. */
  fork: UtilityFork;
  /** The bundled ML host (dist-main/ml-host/main.js). */
  entry: string;
  env?: NodeJS.ProcessEnv;
  /** Where the host's own output goes. */
  log?: (text: string) => void;
}

/** How long to wait after `exit` for the rest of stderr, so the crash reason is complete. */
const STDERR_GRACE_MS = 250;

/**
 * An ML host in an Electron utility process (`utilityProcess.fork`): a Node process that Electron
 * starts, watches and ends with the app. Messages sent before the process is up are queued.
 */
export function forkUtilityHostPort(options: UtilityHostPortOptions): MlHostPort {
  const log = options.log ?? ((text: string) => process.stderr.write(text));
  const child = options.fork(options.entry, [], {
    env: options.env ?? process.env,
    stdio: 'pipe',
    serviceName: 'ShuffleNet Studio ML host',
  });
  const lastStderr = new LastLine();
  child.stdout?.setEncoding('utf8').on('data', log);
  const stderrEnd = new Promise<void>((resolve) => {
    if (!child.stderr) resolve();
    child.stderr?.on('end', () => resolve());
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    lastStderr.push(chunk);
    log(chunk);
  });

  let spawned = false;
  let exited = false;
  const queue: HostRequest[] = [];
  const exitListeners: ((exit: MlHostExit) => void)[] = [];
  child.on('spawn', () => {
    spawned = true;
    for (const message of queue.splice(0)) child.postMessage(message);
  });
  child.on('error', (type, location) => lastStderr.push(`${type} at ${location}\n`));
  child.on('exit', (code) => {
    if (exited) return;
    exited = true;
    const report = () => {
      for (const listener of exitListeners) listener({ code, signal: null, lastStderr: lastStderr.value });
    };
    void Promise.race([stderrEnd, new Promise((resolve) => setTimeout(resolve, STDERR_GRACE_MS))]).then(report);
  });

  return {
    send(message) {
      if (exited) return;
      if (spawned) child.postMessage(message);
      else queue.push(message);
    },
    onMessage(listener) {
      child.on('message', (message) => listener(message as HostReply));
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill() {
      if (!exited) child.kill();
    },
  };
}
