import { apiClientOf, createContractCore } from './api-client';
import { ApiError } from './errors';
import type { ApiRouter } from './router';
import type { ApiClient, ClientChannel, ServerChannel, TransportKind } from './transport';
import { clientMessageSchema } from './wire';

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
