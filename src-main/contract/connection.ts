import { apiClientOf, createContractCore } from './api-client';
import { ApiError, toWireError } from './errors';
import type { ApiRouter } from './router';
import type { ApiClient, ClientChannel, ServerChannel, TransportKind } from './transport';
import { parseClientMessage } from './wire';

/**
 * Serves one client connection: answers its calls through the router, keeps the set of event
 * names it listens to, and forwards only those events. Returns a function that detaches the
 * connection (also called when the channel closes, which drops its set).
 */
export function serveChannel(router: ApiRouter, channel: ServerChannel, transport: TransportKind): () => void {
  const events = router.connectionEvents((event, payload) => channel.send({ event, payload }));
  const gone = new AbortController();
  const stopMessages = channel.onMessage((raw) => {
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'number' || typeof id === 'string') channel.send({ id, error: { code: 'invalid-input', message: parsed.error } });
      return;
    }
    const message = parsed.message;
    if ('method' in message) {
      void router.handleMessage(message, { transport, signal: gone.signal }).then((reply) => channel.send(reply));
      return;
    }
    // Applied here, before the next message is read: a call sent after this listen message
    // cannot emit before the listener is in place (what followJob relies on).
    try {
      if ('listen' in message) events.listen(message.listen);
      else events.unlisten(message.unlisten);
      channel.send({ id: message.id, result: null });
    } catch (error) {
      channel.send({ id: message.id, error: toWireError(error) });
    }
  });
  const detach = () => {
    gone.abort();
    events.close();
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
 * The client half over one message channel that is never replaced (in-memory pairs, a Node
 * WebSocket in tests and benches): the shared core (rpc-core.ts) with no reconnect and no queue.
 */
export function createRpcClient(channel: ClientChannel): RpcClient {
  const lost = (reason: string) => new ApiError('transport-closed', `Connection closed: ${reason}`);
  const core = createContractCore({ lostError: lost });
  core.attach(channel);
  // This channel is the only one it will ever have: once it ends, so does the client.
  channel.onClose((reason) => core.close(lost(reason), reason));
  return {
    client: apiClientOf(core),
    close(reason = 'closed by client') {
      core.close(lost(reason), reason);
    },
  };
}
