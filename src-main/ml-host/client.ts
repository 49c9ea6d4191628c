import { ApiError } from '../contract';
import type { MlHostExit, MlHostPort, MlHostPortFactory } from './port';
import type { HostReply, OpName, Operations } from './protocol';

export interface CallOptions<O extends OpName> {
  onEvent?: (event: Operations[O]['event']) => void;
  signal?: AbortSignal;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onEvent?: (event: never) => void;
  stopAbort?: () => void;
}

/** Describes a dead host for a person: exit code or signal, and what it last said. */
export function describeExit(exit: MlHostExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
  return `The ML host process ${how}${exit.lastStderr ? `: ${exit.lastStderr}` : ''}`;
}

/**
 * The app's handle on the ML host: starts the process on first use, runs operations on it, and
 * when it dies rejects every pending call with `ml-host-crashed` (the next call starts a new one).
 */
export class MlHost {
  private port: MlHostPort | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly exitListeners = new Set<(exit: MlHostExit) => void>();
  private disposed = false;

  constructor(private readonly createPort: MlHostPortFactory) {}

  get running(): boolean {
    return this.port !== null;
  }

  /** Called whenever a host process ends unexpectedly (after pending calls were rejected). */
  onCrash(listener: (exit: MlHostExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Runs one operation; aborting the signal asks the host to stop it (the call then settles as the engine decides). */
  call<O extends OpName>(op: O, args: Operations[O]['args'], options: CallOptions<O> = {}): Promise<Operations[O]['result']> {
    if (this.disposed) return Promise.reject(new ApiError('unavailable', 'The app is shutting down'));
    if (options.signal?.aborted) return Promise.reject(new ApiError('aborted', 'Stopped'));
    const port = this.ensurePort();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve: resolve as (value: unknown) => void, reject, onEvent: options.onEvent as ((event: never) => void) | undefined };
      if (options.signal) {
        const onAbort = () => port.send({ type: 'cancel', id });
        options.signal.addEventListener('abort', onAbort, { once: true });
        entry.stopAbort = () => options.signal?.removeEventListener('abort', onAbort);
      }
      this.pending.set(id, entry);
      port.send({ type: 'call', id, op, args });
    }) as Promise<Operations[O]['result']>;
  }

  /** Stops the host process; pending calls fail with `unavailable`. */
  dispose(): void {
    this.disposed = true;
    const port = this.port;
    this.port = null;
    this.failAll(new ApiError('unavailable', 'The ML host was shut down'));
    port?.kill();
  }

  private ensurePort(): MlHostPort {
    if (this.port) return this.port;
    const port = this.createPort();
    this.port = port;
    port.onMessage((message) => this.receive(message));
    port.onExit((exit) => {
      if (this.port !== port) return;
      this.port = null;
      this.failAll(new ApiError('ml-host-crashed', describeExit(exit)));
      for (const listener of this.exitListeners) listener(exit);
    });
    return port;
  }

  private receive(message: HostReply): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.type === 'event') {
      try {
        entry.onEvent?.(message.event as never);
      } catch (error) {
        // A listener bug must not take the app's process down with it.
        console.error('ML host event listener failed:', error);
      }
      return;
    }
    this.pending.delete(message.id);
    entry.stopAbort?.();
    if (message.type === 'result') entry.resolve(message.value);
    else entry.reject(new ApiError(message.error.code, message.error.message));
  }

  private failAll(error: ApiError): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.stopAbort?.();
      entry.reject(error);
    }
  }
}
