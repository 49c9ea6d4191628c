import type { MessageChannel } from './transport';

/**
 * The listener half of a MessageChannel end, which every carrier (in-memory pair, WebSocket, ML
 * host port) needs the same way: `onMessage`/`onClose` register and return their unsubscribe, and
 * the carrier calls `deliver`/`closed` when something arrives. Listeners are copied before each
 * call, so one that unsubscribes while being called does not skip its neighbour.
 */
export function channelListeners<In>(): Pick<MessageChannel<never, In>, 'onMessage' | 'onClose'> & {
  deliver(message: In): void;
  closed(reason: string): void;
} {
  const messageListeners = new Set<(message: In) => void>();
  const closeListeners = new Set<(reason: string) => void>();
  return {
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    deliver(message) {
      for (const listener of [...messageListeners]) listener(message);
    },
    closed(reason) {
      for (const listener of [...closeListeners]) listener(reason);
    },
  };
}
