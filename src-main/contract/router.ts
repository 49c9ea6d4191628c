import { ApiError, toWireError } from './errors';
import { events, isEventName, type EventName, type Payload } from './events';
import { isMethodName, methods, type MethodName } from './methods';
import type { CallContext, EventSink, Handler, Handlers } from './transport';
import type { ClientMessage, ServerMessage } from './wire';

export type EventListener = (event: EventName, payload: unknown) => void;

export interface RouterOptions {
  /** Called for handler bugs the client only sees as `internal` / `invalid-output`, and for bad events. */
  onError?: (where: string, error: unknown) => void;
}

/**
 * Binds handlers to the contract: validates every input, runs the handler, validates its output,
 * and turns failures into `ApiError`s. Transports feed it messages and forward its events.
 */
export class ApiRouter implements EventSink {
  private readonly handlers: Partial<Record<MethodName, Handler<MethodName>>> = {};
  private readonly listeners = new Set<EventListener>();

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
  async handleMessage(message: ClientMessage, context: CallContext): Promise<ServerMessage> {
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
    for (const listener of this.listeners) listener(event, checked.data);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
