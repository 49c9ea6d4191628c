import { ApiError, RpcClientCore } from '../contract';
import { hostChannel, hostCodec } from './host-channel';
import type { MlHostExit, MlHostPort, MlHostPortFactory } from './port';
import type { HostReply, HostRequest, OpName, Operations } from './protocol';

export { describeExit } from './port';

export interface CallOptions<O extends OpName> {
  onEvent?: (event: Operations[O]['event']) => void;
  signal?: AbortSignal;
}

/**
 * The app's handle on the ML host: starts the process on first use, runs operations on it, and
 * when it dies rejects every pending call with `ml-host-crashed` (the next call starts a new one).
 * Ids, pending calls, cancelling and per-call events are the contract's client core's.
 */
export class MlHost {
  private port: MlHostPort | null = null;
  private readonly core = new RpcClientCore<HostRequest, HostReply>({
    codec: hostCodec,
    lostError: (reason) => new ApiError('ml-host-crashed', reason),
  });
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
    this.ensurePort();
    return this.core.invoke(op, args, { signal: options.signal, onEvent: options.onEvent as ((event: unknown) => void) | undefined }) as Promise<
      Operations[O]['result']
    >;
  }

  /** Stops the host process; pending calls fail with `unavailable`. */
  dispose(): void {
    this.disposed = true;
    this.port = null;
    this.core.close(new ApiError('unavailable', 'The ML host was shut down'));
  }

  private ensurePort(): void {
    if (this.port) return;
    const port = this.createPort();
    this.port = port;
    // hostChannel registers its exit listener first, so the core fails the pending calls before onCrash runs.
    const channel = hostChannel(port);
    port.onExit((exit) => {
      if (this.port !== port) return;
      this.port = null;
      for (const listener of this.exitListeners) listener(exit);
    });
    this.core.attach(channel);
  }
}
