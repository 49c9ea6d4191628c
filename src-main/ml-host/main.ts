/**
 * Entry of the ML host process (child_process.fork or Electron utilityProcess.fork). Receives
 * operation calls, runs them on the engine, and sends back events, results and errors.
 */
import { toWireError } from '../contract';
import { operations, type OperationImpl } from './operations';
import type { HostReply, HostRequest, OpName } from './protocol';

interface ParentChannel {
  send(message: HostReply): void;
  onMessage(listener: (message: HostRequest) => void): void;
}

/** Electron's utilityProcess exposes `process.parentPort`; a forked Node child has `process.send`. */
function parentChannel(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: unknown }) => void): void } })
    .parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as HostRequest)),
    };
  }
  if (!process.send) throw new Error('The ML host must be started by the app (no IPC channel to a parent)');
  // A host whose parent is gone has nobody to report to.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message) => process.send?.(message),
    onMessage: (listener) => process.on('message', (message) => listener(message as HostRequest)),
  };
}

const channel = parentChannel();
const running = new Map<number, AbortController>();

async function run(id: number, op: OpName, args: unknown): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const impl = operations[op] as OperationImpl<OpName> | undefined;
    if (!impl) throw new Error(`Unknown ML host operation "${op}"`);
    const value = await impl(args as never, (event) => channel.send({ type: 'event', id, event }), controller.signal);
    channel.send({ type: 'result', id, value });
  } catch (error) {
    channel.send({ type: 'error', id, error: toWireError(error) });
  } finally {
    running.delete(id);
  }
}

channel.onMessage((message) => {
  if (message.type === 'cancel') running.get(message.id)?.abort();
  else if (message.type === 'call') void run(message.id, message.op, message.args);
});
