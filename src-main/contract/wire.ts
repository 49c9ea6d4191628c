import { z } from 'zod';

/**
 * The JSON messages of message-based transports (WebSocket, in-memory):
 * client -> `{id, method, input}` (a call), `{id, listen: [names]}` / `{id, unlisten: [names]}`
 * (which events this connection wants; answered `{id, result: null}` or `{id, error}`);
 * server -> `{id, result}` | `{id, error}` | `{event, payload}`, the last only for names the
 * connection listens to.
 */
export const requestId = z.union([z.number().int(), z.string().min(1)]);

export const requestMessageSchema = z.object({ id: requestId, method: z.string().min(1), input: z.unknown() });
export type RequestMessage = z.infer<typeof requestMessageSchema>;

/**
 * Event names as a listen message carries them. Only their shape is checked here; the router
 * checks them against the contract's events, so a misspelt name gets `unknown-event` by name.
 * The bound is far above the contract's events (a client sends each name once) and keeps one
 * message from making the server check a million strings.
 */
export const eventNameList = z.array(z.string()).max(256);

export const listenMessageSchema = z.object({ id: requestId, listen: eventNameList }).strict();
export const unlistenMessageSchema = z.object({ id: requestId, unlisten: eventNameList }).strict();
export type ListenMessage = z.infer<typeof listenMessageSchema>;
export type UnlistenMessage = z.infer<typeof unlistenMessageSchema>;

export type ClientMessage = RequestMessage | ListenMessage | UnlistenMessage;

/**
 * Reads one client message. A `listen` or `unlisten` key makes it a listen message, checked
 * strictly (a stray `method` beside it is an error, not a call nobody meant); anything else is a
 * call. `error` says what was wrong, for the `invalid-input` reply.
 */
export function parseClientMessage(raw: unknown): { ok: true; message: ClientMessage } | { ok: false; error: string } {
  const key = raw && typeof raw === 'object' ? (['listen', 'unlisten'] as const).find((k) => k in raw) : undefined;
  if (!key) {
    const parsed = requestMessageSchema.safeParse(raw);
    return parsed.success ? { ok: true, message: parsed.data } : { ok: false, error: 'Malformed request' };
  }
  const parsed = (key === 'listen' ? listenMessageSchema : unlistenMessageSchema).safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  return { ok: false, error: `Malformed ${key} message (${where}${issue?.message ?? 'invalid'}): send {id, ${key}: ["event.name", ...]}` };
}

// Server messages are checked by the client core's codec (api-client.ts), without zod.
export type ServerMessage =
  { id: string | number; result: unknown } | { id: string | number; error: { code: string; message: string } } | { event: string; payload: unknown };
