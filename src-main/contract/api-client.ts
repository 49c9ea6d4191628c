import type { EventName, Payload } from './events';
import type { Input, MethodName, Output } from './methods';
import { RpcClientCore, type Incoming, type RpcCodec, type RpcCoreOptions } from './rpc-core';
import type { ApiClient } from './transport';
import type { ClientMessage, ServerMessage } from './wire';

const isId = (value: unknown): value is number | string => typeof value === 'number' || (typeof value === 'string' && value !== '');

/**
 * The contract's wire (wire.ts) for the core: `{id, method, input}` and `{id, listen: [names]}` /
 * `{id, unlisten: [names]}` out; `{id, result}`, `{id, error}` and `{event, payload}` in. Checked
 * by hand rather than with wire.ts's zod schema so the renderer's client needs no validator;
 * anything else (e.g. the server's `id: null` reply to an unreadable frame) is ignored.
 */
export const contractCodec: RpcCodec<ClientMessage, ServerMessage> = {
  request: (id, method, input) => ({ id, method, input }),
  listen: (id, names, listening) => (listening ? { id, listen: [...names] } : { id, unlisten: [...names] }),
  decode(raw): Incoming {
    if (!raw || typeof raw !== 'object') return null;
    const message = raw as Record<string, unknown>;
    if (typeof message.event === 'string' && message.event !== '') return { kind: 'event', name: message.event, payload: message.payload };
    if (!isId(message.id)) return null;
    if ('result' in message) return { kind: 'result', id: message.id, value: message.result };
    const error = message.error as { code?: unknown; message?: unknown } | undefined;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return { kind: 'error', id: message.id, error: { code: error.code, message: error.message } };
    }
    return null;
  },
};

export type ContractCore = RpcClientCore<ClientMessage, ServerMessage>;

export function createContractCore(options: Omit<RpcCoreOptions<ClientMessage, ServerMessage>, 'codec'>): ContractCore {
  return new RpcClientCore({ ...options, codec: contractCodec });
}

/** The typed `ApiClient` face of a core speaking the contract. */
export function apiClientOf(core: ContractCore): ApiClient {
  return {
    invoke: <M extends MethodName>(method: M, input: Input<M>) => core.invoke(method, input) as Promise<Output<M>>,
    subscribe: <E extends EventName>(event: E, callback: (payload: Payload<E>) => void) => core.subscribe(event, callback as (payload: unknown) => void),
  };
}
