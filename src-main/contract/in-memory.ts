import { channelListeners } from './channel-listeners';
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
  const listeners = channelListeners<In>();
  let closed = false;
  const end: End<Out, In> = {
    peer: null,
    deliver(json) {
      if (closed) return;
      listeners.deliver(JSON.parse(json) as In);
    },
    shut(reason) {
      if (closed) return;
      closed = true;
      listeners.closed(reason);
    },
    channel: {
      send(message) {
        if (closed) return;
        const json = JSON.stringify(message);
        queueMicrotask(() => end.peer?.deliver(json));
      },
      onMessage: listeners.onMessage,
      onClose: listeners.onClose,
      close(reason = 'closed') {
        end.shut(reason);
        end.peer?.shut(reason);
      },
    },
  };
  return end;
}
