import type { HostReply, HostRequest } from './protocol';

/** How an ML host process ended: what the app shows when a run dies with it. */
export interface MlHostExit {
  code: number | null;
  signal: string | null;
  /** The last non-empty line the process wrote to stderr, if any. */
  lastStderr: string | null;
}

/**
 * The ten-line difference between `child_process.fork` (serve, CLI, tests) and Electron's
 * `utilityProcess.fork` (the desktop app). Listeners are registered once, before the first send.
 */
export interface MlHostPort {
  send(message: HostRequest): void;
  onMessage(listener: (message: HostReply) => void): void;
  onExit(listener: (exit: MlHostExit) => void): void;
  kill(): void;
}

export type MlHostPortFactory = () => MlHostPort;

/** Describes a dead host for a person: exit code or signal, and what it last said. */
export function describeExit(exit: MlHostExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
  return `The ML host process ${how}${exit.lastStderr ? `: ${exit.lastStderr}` : ''}`;
}

/** Keeps the last line of a stream of text chunks. */
export class LastLine {
  private pending = '';
  private last: string | null = null;

  push(chunk: string): void {
    const lines = (this.pending + chunk).split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.last = line.trim();
  }

  get value(): string | null {
    return this.pending.trim() || this.last;
  }
}
