import type { RpcClientCore } from './rpc-core';
import type { MessageChannel } from './transport';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * Opens one connection. Calls `opened` once it can carry messages; its channel's `onClose` fires
 * when it ends, whether it was ever open or not.
 */
export type Dialer<Out, In> = (opened: () => void) => MessageChannel<Out, In>;

export interface ReconnectOptions {
  /** Delays between attempts grow from min to max milliseconds, and start at min again after an open. */
  min: number;
  max: number;
}

export interface Reconnecting {
  readonly state: ConnectionState;
  /** Tells `listener` the current state now and every change after. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Stops reconnecting and closes the current connection. */
  close(): void;
}

/**
 * Keeps a core connected: dials, attaches each connection once it is open (the core then tells it
 * every event name it listens to, and sends the calls that waited, in that order), and dials again
 * after a delay when it ends. Calls in flight on a lost connection are the core's business (it
 * fails them: the other end forgot them, as it forgot what the connection listened to).
 */
export function keepConnected<Out, In>(core: RpcClientCore<Out, In>, dial: Dialer<Out, In>, options: ReconnectOptions): Reconnecting {
  const listeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let current: MessageChannel<Out, In> | null = null;
  let delay = options.min;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of [...listeners]) listener(next);
  };

  const connect = () => {
    setState('connecting');
    let channel: MessageChannel<Out, In> | null = null;
    let openedEarly = false;
    const opened = () => {
      // A dialer may report `opened` before it has returned its channel.
      if (!channel) return void (openedEarly = true);
      if (current !== channel || stopped) return;
      delay = options.min;
      core.attach(channel);
      setState('open');
    };
    const dialed = dial(opened);
    channel = dialed;
    current = dialed;
    dialed.onClose(() => {
      if (current !== dialed) return;
      current = null;
      setState('closed');
      if (stopped) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(options.max, delay * 2);
    });
    if (openedEarly) opened();
  };

  connect();
  return {
    get state() {
      return state;
    },
    onState(listener) {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      current?.close('closed by client');
    },
  };
}
