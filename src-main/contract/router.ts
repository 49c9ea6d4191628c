import { ApiError, toWireError } from './errors';
import { eventNames, events, isEventName, type EventName, type Payload } from './events';
import { isMethodName, methods, type MethodName } from './methods';
import type { CallContext, EventSink, Handler, Handlers } from './transport';
import type { RequestMessage, ServerMessage } from './wire';

export type EventListener = (event: EventName, payload: unknown) => void;

/**
 * The events of one connection (a socket, an in-memory pair, an Electron window): it gets an
 * event only while it listens to that event's name. `close` when the connection goes.
 */
export interface ConnectionEvents {
  /** Adds names; throws `unknown-event` (and adds none) if any name is not a contract event. */
  listen(names: readonly string[]): void;
  /** Removes names (ones not listened to are fine); throws `unknown-event` like `listen`. */
  unlisten(names: readonly string[]): void;
  readonly names: ReadonlySet<EventName>;
  close(): void;
}

/** The names as contract events, or an `unknown-event` error naming the first stranger. */
export function checkEventNames(names: readonly string[]): EventName[] {
  const unknown = names.find((name) => !isEventName(name));
  if (unknown !== undefined) {
    throw new ApiError('unknown-event', `Unknown event "${unknown}"; the events are ${eventNames.join(', ')}`);
  }
  return names as EventName[];
}

export interface RouterOptions {
  /** Called for handler bugs the client only sees as `internal` / `invalid-output`, and for bad events. */
  onError?: (where: string, error: unknown) => void;
}

/**
 * Binds handlers to the contract: validates every input, runs the handler, validates its output,
 * and turns failures into `ApiError`s. Transports feed it messages and, for each connection,
 * forward the events that connection listens to (`connectionEvents`).
 */
export class ApiRouter implements EventSink {
  private readonly handlers: Partial<Record<MethodName, Handler<MethodName>>> = {};
  /** Who listens to each event name (one entry per connection that listens). */
  private readonly listeners = new Map<EventName, Set<EventListener>>();

  constructor(private readonly options: RouterOptions = {}) {}

  /** Adds (or replaces) handlers; the shell adds `dialogs.*` on top of the services' handlers. */
  register(handlers: Partial<Handlers>): this {
    Object.assign(this.handlers, handlers);
    return this;
  }

  has(method: MethodName): boolean {
    return this.handlers[method] !== undefined;
  }

  /** Runs one call; resolves with the validated output or throws an `ApiError`. */
  async call(method: string, input: unknown, context: CallContext): Promise<unknown> {
    if (!isMethodName(method)) throw new ApiError('unknown-method', `Unknown method "${method}"`);
    const handler = this.handlers[method];
    if (!handler) throw new ApiError('unavailable', `"${method}" is not available here`);
    const schema = methods[method];
    const parsed = schema.input.safeParse(input ?? {});
    if (!parsed.success) {
      throw new ApiError('invalid-input', `${method}: ${formatIssues(parsed.error.issues)}`);
    }
    let output: unknown;
    try {
      output = await handler(parsed.data as never, context);
    } catch (error) {
      const wire = toWireError(error);
      if (wire.code === 'internal') this.options.onError?.(method, error);
      throw new ApiError(wire.code, wire.message);
    }
    const checked = schema.output.safeParse(output);
    if (!checked.success) {
      this.options.onError?.(method, checked.error);
      throw new ApiError('invalid-output', `${method} returned malformed data: ${formatIssues(checked.error.issues)}`);
    }
    return checked.data;
  }

  /** Answers one wire request; never throws. */
  async handleMessage(message: RequestMessage, context: CallContext): Promise<ServerMessage> {
    try {
      return { id: message.id, result: await this.call(message.method, message.input, context) };
    } catch (error) {
      return { id: message.id, error: toWireError(error) };
    }
  }

  emit<E extends EventName>(event: E, payload: Payload<E>): void {
    if (!isEventName(event)) {
      this.options.onError?.('emit', new Error(`Unknown event "${String(event)}"`));
      return;
    }
    const checked = events[event].safeParse(payload);
    if (!checked.success) {
      this.options.onError?.(`emit ${event}`, checked.error);
      return;
    }
    for (const deliver of [...(this.listeners.get(event) ?? [])]) deliver(event, checked.data);
  }

  /**
   * A new connection's events, delivered through `deliver`; it listens to nothing until told.
   * Listening is applied at once (synchronously), so a transport that handles a listen message
   * before the call after it has the listener in place before that call's handler can emit.
   */
  connectionEvents(deliver: EventListener): ConnectionEvents {
    const names = new Set<EventName>();
    const add = (name: EventName) => {
      const set = this.listeners.get(name) ?? new Set();
      this.listeners.set(name, set);
      set.add(deliver);
      names.add(name);
    };
    const remove = (name: EventName) => {
      const set = this.listeners.get(name);
      set?.delete(deliver);
      if (set?.size === 0) this.listeners.delete(name);
      names.delete(name);
    };
    return {
      listen: (list) => checkEventNames(list).forEach(add),
      unlisten: (list) => checkEventNames(list).forEach(remove),
      names,
      close: () => [...names].forEach(remove),
    };
  }
}

function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
