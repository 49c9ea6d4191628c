import type { EventName, Payload } from './events';
import type { Input, MethodName, Output, ParsedInput } from './methods';
import type { ClientMessage, ServerMessage } from './wire';

/** What the renderer (and tests) talk to, whatever carries the messages. */
export interface ApiClient {
  /** Resolves with the method's output or rejects with an `ApiError`. */
  invoke<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>>;
  /** Returns the function that unsubscribes. */
  subscribe<E extends EventName>(event: E, callback: (payload: Payload<E>) => void): () => void;
}

/** Where services push events; the router sends each to the connections that listen to its name. */
export interface EventSink {
  emit<E extends EventName>(event: E, payload: Payload<E>): void;
}

export type TransportKind = 'memory' | 'ws' | 'ipc';

export interface CallContext {
  transport: TransportKind;
  /** Aborted when the client that made the call goes away (its connection closed), so long work can stop. */
  signal?: AbortSignal;
}

export type Handler<M extends MethodName> = (input: ParsedInput<M>, context: CallContext) => Promise<Output<M>> | Output<M>;

export type Handlers = { [M in MethodName]: Handler<M> };

/** A bidirectional message pipe as seen from one end (WebSocket, in-memory, ...). */
export interface MessageChannel<Out, In> {
  send(message: Out): void;
  onMessage(listener: (message: In) => void): () => void;
  onClose(listener: (reason: string) => void): () => void;
  close(reason?: string): void;
}

export type ClientChannel = MessageChannel<ClientMessage, ServerMessage>;
export type ServerChannel = MessageChannel<ServerMessage, ClientMessage>;
