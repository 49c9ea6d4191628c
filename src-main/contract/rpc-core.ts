import { ApiError, type WireError } from './errors';
import type { MessageChannel } from './transport';

/**
 * The one client half of every request/reply pipe in the app (browser WebSocket, in-memory tests,
 * the ML host child process): it numbers calls, keeps the calls waiting for replies, matches
 * replies and errors to them, tells the other end which event names it listens to (where the
 * pipe has named events), and hands events to listeners. What differs between pipes is only
 * the shape of their messages (a codec) and what a lost connection means (the error options).
 *
 * No Node or DOM imports (and no zod): the renderer bundles this file.
 */

export type RequestId = number | string;

/** A message from the other end, as the core understands it; `null` = not for us, ignored. */
export type Incoming =
  | { kind: 'result'; id: RequestId; value: unknown }
  | { kind: 'error'; id: RequestId; error: WireError }
  /** A named event, delivered to `subscribe(name)` listeners. */
  | { kind: 'event'; name: string; payload: unknown }
  /** An event of one call (the ML host's progress), delivered to that call's `onEvent`. */
  | { kind: 'call-event'; id: RequestId; event: unknown }
  | null;

export interface RpcCodec<Out, In> {
  request(id: number, method: string, input: unknown): Out;
  /** Asks the other end to stop a call. Without it an aborted call is dropped here at once. */
  cancel?(id: number): Out;
  /**
   * Tells the other end to start (`listening`) or stop sending the events of `names`, answered by
   * a result or error for `id`. Without it the other end sends what it sends (the ML host's events
   * belong to calls) and `subscribe` is local only.
   */
  listen?(id: number, names: readonly string[], listening: boolean): Out;
  decode(message: In): Incoming;
}

export interface RpcCoreOptions<Out, In> {
  codec: RpcCodec<Out, In>;
  /** The error for calls already sent when their connection ends (`reason` is the channel's). */
  lostError(reason: string): ApiError;
  /**
   * How long a call made while no connection is attached waits for one. 0 (the default): it fails
   * at once with `notConnectedError`.
   */
  queueTimeoutMs?: number;
  notConnectedError?(): ApiError;
  /** A listener that throws must not break delivery to the others (default: console.error). */
  onListenerError?(where: string, error: unknown): void;
  /** The other end refused a listen message (an event name it does not know; default: console.error). */
  onListenRefused?(what: string, error: ApiError): void;
}

export interface RpcCallOptions {
  signal?: AbortSignal;
  onEvent?: (event: unknown) => void;
}

interface Pending<Out> {
  resolve(value: unknown): void;
  reject(error: ApiError): void;
  message: Out;
  /** Sent on the current connection (else waiting for one). */
  sent: boolean;
  onEvent?: (event: unknown) => void;
  /** Fails a call that waited too long for a connection. */
  queueTimer?: ReturnType<typeof setTimeout>;
  stopAbort?: () => void;
}

export class RpcClientCore<Out, In> {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending<Out>>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  /** Listen messages sent on the current channel and not answered yet: id -> what they asked. */
  private readonly listening = new Map<RequestId, string>();
  private channel: MessageChannel<Out, In> | null = null;
  private detachChannel: (() => void) | null = null;
  private closedWith: ApiError | null = null;

  constructor(private readonly options: RpcCoreOptions<Out, In>) {}

  get connected(): boolean {
    return this.channel !== null;
  }

  /** Uses `channel` from now on and sends the calls that waited for a connection. */
  attach(channel: MessageChannel<Out, In>): void {
    if (this.closedWith) {
      channel.close('client closed');
      return;
    }
    this.detach();
    this.channel = channel;
    const stopMessages = channel.onMessage((message) => this.receive(message));
    const stopClose = channel.onClose((reason) => {
      if (this.channel === channel) this.lose(reason);
    });
    this.detachChannel = () => {
      stopMessages();
      stopClose();
    };
    // A new connection (a reconnect) knows nothing of this client: tell it every name listened to,
    // before the calls that waited, so events those calls cause are not lost.
    if (this.listeners.size > 0) this.sendListen([...this.listeners.keys()], true);
    for (const call of this.pending.values()) {
      if (call.sent) continue;
      clearTimeout(call.queueTimer);
      call.sent = true;
      channel.send(call.message);
    }
  }

  invoke(method: string, input: unknown, options: RpcCallOptions = {}): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (options.signal?.aborted) return Promise.reject(new ApiError('aborted', 'Stopped'));
    const queueMs = this.options.queueTimeoutMs ?? 0;
    if (!this.channel && queueMs <= 0) return Promise.reject(this.notConnected());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const call: Pending<Out> = { resolve, reject, message: this.options.codec.request(id, method, input), sent: false, onEvent: options.onEvent };
      const signal = options.signal;
      if (signal) {
        const onAbort = () => this.abort(id);
        signal.addEventListener('abort', onAbort, { once: true });
        call.stopAbort = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.set(id, call);
      if (this.channel) {
        call.sent = true;
        this.channel.send(call.message);
        return;
      }
      call.queueTimer = setTimeout(() => this.settle(id, (c) => c.reject(this.notConnected())), queueMs);
    });
  }

  /**
   * Adds a listener for the events named `name`. The other end is told only when the first one of
   * a name comes (listen) and the last one goes (unlisten). A listen message goes out at once on
   * the same ordered channel as calls, so the other end has it before any call made after
   * `subscribe` returns: events that call causes reach the listener. Events sent before the
   * other end read it do not.
   */
  subscribe(name: string, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
      this.sendListen([name], true);
    }
    set.add(listener);
    const own = set;
    return () => {
      own.delete(listener);
      if (own.size > 0 || this.listeners.get(name) !== own) return;
      this.listeners.delete(name);
      this.sendListen([name], false);
    };
  }

  /** Fails every call with `error`, stops events, closes the channel; later calls fail with `error` too. */
  close(error: ApiError, reason = 'closed by client'): void {
    if (this.closedWith) return;
    this.closedWith = error;
    const channel = this.channel;
    this.detach();
    this.failAll(
      () => true,
      () => error,
    );
    this.listeners.clear();
    channel?.close(reason);
  }

  private detach(): void {
    this.detachChannel?.();
    this.detachChannel = null;
    this.channel = null;
    this.listening.clear();
  }

  /** Sends a listen message now, or nothing while unattached (`attach` sends the whole set). */
  private sendListen(names: readonly string[], listening: boolean): void {
    const listen = this.options.codec.listen;
    if (!listen || !this.channel) return;
    const id = this.nextId++;
    this.listening.set(id, `${listening ? 'listen' : 'unlisten'} ${names.join(', ')}`);
    this.channel.send(listen(id, names, listening));
  }

  /** Settles a listen message's answer; false when `id` is not one. */
  private answerListen(id: RequestId, error: WireError | null): boolean {
    const what = this.listening.get(id);
    if (what === undefined) return false;
    this.listening.delete(id);
    if (!error) return true;
    const refused = new ApiError(error.code, error.message);
    if (this.options.onListenRefused) this.options.onListenRefused(what, refused);
    else console.error(`The server refused "${what}":`, refused.message);
    return true;
  }

  /** The connection ended: the other end forgot the calls it had, so they can never be answered. */
  private lose(reason: string): void {
    this.detach();
    this.failAll(
      (call) => call.sent,
      () => this.options.lostError(reason),
    );
  }

  private failAll(which: (call: Pending<Out>) => boolean, error: () => ApiError): void {
    for (const [id, call] of [...this.pending]) {
      if (which(call)) this.settle(id, (c) => c.reject(error()));
    }
  }

  private abort(id: number): void {
    const call = this.pending.get(id);
    if (!call) return;
    const cancel = this.options.codec.cancel;
    // A sent call the other end can stop settles with whatever it answers (usually `aborted`).
    if (cancel && call.sent && this.channel) this.channel.send(cancel(id));
    else this.settle(id, (c) => c.reject(new ApiError('aborted', 'Stopped')));
  }

  private settle(id: RequestId, how: (call: Pending<Out>) => void): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    clearTimeout(call.queueTimer);
    call.stopAbort?.();
    how(call);
  }

  private receive(raw: In): void {
    const message = this.options.codec.decode(raw);
    if (!message) return;
    switch (message.kind) {
      case 'result':
        if (this.answerListen(message.id, null)) return;
        return this.settle(message.id, (call) => call.resolve(message.value));
      case 'error':
        if (this.answerListen(message.id, message.error)) return;
        return this.settle(message.id, (call) => call.reject(new ApiError(message.error.code, message.error.message)));
      case 'call-event': {
        const onEvent = this.pending.get(message.id)?.onEvent;
        if (onEvent) this.deliver(`call ${message.id}`, onEvent, message.event);
        return;
      }
      case 'event':
        for (const listener of [...(this.listeners.get(message.name) ?? [])]) this.deliver(message.name, listener, message.payload);
    }
  }

  private deliver(where: string, listener: (value: unknown) => void, value: unknown): void {
    try {
      listener(value);
    } catch (error) {
      if (this.options.onListenerError) this.options.onListenerError(where, error);
      else console.error(`A listener for ${where} failed:`, error);
    }
  }

  private notConnected(): ApiError {
    return this.options.notConnectedError?.() ?? new ApiError('transport-closed', 'Not connected');
  }
}
