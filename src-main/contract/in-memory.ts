import { createRpcClient, serveChannel, type RpcClient } from './connection';
import type { ApiRouter } from './router';
import type { ClientChannel, MessageChannel, ServerChannel } from './transport';
import type { ClientMessage, ServerMessage } from './wire';

/**
 * Two connected channel ends. Messages go through JSON and arrive on a later microtask, like on a
 * real wire, so tests catch anything that does not survive serialisation.
 */
export function createInMemoryPair(): { client: ClientChannel; server: ServerChannel } {
  const clientEnd = createEnd<ClientMessage, ServerMessage>();
  const serverEnd = createEnd<ServerMessage, ClientMessage>();
  clientEnd.peer = serverEnd;
  serverEnd.peer = clientEnd;
  return { client: clientEnd.channel, server: serverEnd.channel };
}

/** A client connected to the router through an in-memory pair. */
export function connectInMemory(router: ApiRouter): RpcClient {
  const pair = createInMemoryPair();
  serveChannel(router, pair.server, 'memory');
  return createRpcClient(pair.client);
}

interface End<Out, In> {
  channel: MessageChannel<Out, In>;
  peer: End<In, Out> | null;
  deliver(json: string): void;
  shut(reason: string): void;
}

function createEnd<Out, In>(): End<Out, In> {
  const messageListeners = new Set<(message: In) => void>();
  const closeListeners = new Set<(reason: string) => void>();
  let closed = false;
  const end: End<Out, In> = {
    peer: null,
    deliver(json) {
      if (closed) return;
      const message = JSON.parse(json) as In;
      for (const listener of [...messageListeners]) listener(message);
    },
    shut(reason) {
      if (closed) return;
      closed = true;
      for (const listener of [...closeListeners]) listener(reason);
    },
    channel: {
      send(message) {
        if (closed) return;
        const json = JSON.stringify(message);
        queueMicrotask(() => end.peer?.deliver(json));
      },
      onMessage(listener) {
        messageListeners.add(listener);
        return () => messageListeners.delete(listener);
      },
      onClose(listener) {
        closeListeners.add(listener);
        return () => closeListeners.delete(listener);
      },
      close(reason = 'closed') {
        end.shut(reason);
        end.peer?.shut(reason);
      },
    },
  };
  return end;
}
