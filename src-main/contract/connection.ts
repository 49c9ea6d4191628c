import { ApiError, fromWireError } from './errors';
import { isEventName, type EventName, type Payload } from './events';
import type { Input, MethodName, Output } from './methods';
import type { ApiRouter } from './router';
import type { ApiClient, ClientChannel, ServerChannel, TransportKind } from './transport';
import { clientMessageSchema, serverMessageSchema } from './wire';

/**
 * Serves one client connection: answers its requests through the router and forwards every event.
 * Returns a function that detaches the connection (also called when the channel closes).
 */
export function serveChannel(router: ApiRouter, channel: ServerChannel, transport: TransportKind): () => void {
  const stopEvents = router.onEvent((event, payload) => channel.send({ event, payload }));
  const gone = new AbortController();
  const stopMessages = channel.onMessage((raw) => {
    const parsed = clientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'number' || typeof (raw as { id?: unknown })?.id === 'string';
      if (id) channel.send({ id: (raw as { id: string | number }).id, error: { code: 'invalid-input', message: 'Malformed request' } });
      return;
    }
    void router.handleMessage(parsed.data, { transport, signal: gone.signal }).then((reply) => channel.send(reply));
  });
  const detach = () => {
    gone.abort();
    stopEvents();
    stopMessages();
    stopClose();
  };
  const stopClose = channel.onClose(detach);
  return detach;
}

export interface RpcClient {
  client: ApiClient;
  /** Rejects pending calls with `transport-closed` and stops delivering events. */
  close(reason?: string): void;
}

/**
 * The client half over any message channel: numbers requests, matches replies, re-throws wire
 * errors as `ApiError`, and dispatches events to local subscribers.
 */
export function createRpcClient(channel: ClientChannel): RpcClient {
  let nextId = 1;
  let closedReason: string | null = null;
  const pending = new Map<string | number, { resolve: (value: unknown) => void; reject: (error: ApiError) => void }>();
  const subscribers = new Map<EventName, Set<(payload: unknown) => void>>();

  const stopMessages = channel.onMessage((raw) => {
    const parsed = serverMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if ('event' in message) {
      if (!isEventName(message.event)) return;
      for (const callback of subscribers.get(message.event) ?? []) callback(message.payload);
      return;
    }
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if ('error' in message) call.reject(fromWireError(message.error));
    else call.resolve(message.result);
  });

  const shutDown = (reason: string) => {
    if (closedReason !== null) return;
    closedReason = reason;
    stopMessages();
    stopClose();
    for (const call of pending.values()) call.reject(new ApiError('transport-closed', `Connection closed: ${reason}`));
    pending.clear();
    subscribers.clear();
  };
  const stopClose = channel.onClose(shutDown);

  const client: ApiClient = {
    invoke<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
      if (closedReason !== null) {
        return Promise.reject(new ApiError('transport-closed', `Connection closed: ${closedReason}`));
      }
      const id = nextId++;
      return new Promise<Output<M>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        channel.send({ id, method, input });
      });
    },
    subscribe<E extends EventName>(event: E, callback: (payload: Payload<E>) => void): () => void {
      const set = subscribers.get(event) ?? new Set();
      subscribers.set(event, set);
      const wrapped = callback as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
  };

  return {
    client,
    close(reason = 'closed by client') {
      shutDown(reason);
      channel.close(reason);
    },
  };
}
