import { channelListeners, type MessageChannel, type RpcCodec } from '../contract';
import { describeExit, type MlHostPort } from './port';
import type { HostReply, HostRequest, OpName } from './protocol';

/**
 * The ML host's protocol for the contract's client core (rpc-core.ts). Its messages differ from
 * the app's wire only in shape: `op`/`args` for `method`/`input`, a `type` tag, a `cancel`
 * message, and events that belong to one call rather than named broadcasts.
 */
export const hostCodec: RpcCodec<HostRequest, HostReply> = {
  request: (id, op, args) => ({ type: 'call', id, op: op as OpName, args }),
  cancel: (id) => ({ type: 'cancel', id }),
  decode(message) {
    switch (message.type) {
      case 'event':
        return { kind: 'call-event', id: message.id, event: message.event };
      case 'result':
        return { kind: 'result', id: message.id, value: message.value };
      case 'error':
        return { kind: 'error', id: message.id, error: message.error };
      default:
        return null;
    }
  },
};

/**
 * A host process as a channel: closing it kills the process, and the process ending closes it
 * with a sentence a person can read (exit code or signal, last stderr line). The port takes its
 * listeners once, so they are registered here, before anything is sent.
 */
export function hostChannel(port: MlHostPort): MessageChannel<HostRequest, HostReply> {
  const listeners = channelListeners<HostReply>();
  port.onMessage((message) => listeners.deliver(message));
  port.onExit((exit) => listeners.closed(describeExit(exit)));
  return {
    send: (message) => port.send(message),
    onMessage: listeners.onMessage,
    onClose: listeners.onClose,
    close: () => port.kill(),
  };
}
