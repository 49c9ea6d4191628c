import { z } from 'zod';

/**
 * The JSON messages of message-based transports (WebSocket, in-memory):
 * client -> `{id, method, input}`; server -> `{id, result}` | `{id, error}` | `{event, payload}`.
 */
export const requestId = z.union([z.number().int(), z.string().min(1)]);

export const clientMessageSchema = z.object({ id: requestId, method: z.string().min(1), input: z.unknown() });
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// Server messages are checked by the client core's codec (api-client.ts), without zod.
export type ServerMessage =
  | { id: string | number; result: unknown }
  | { id: string | number; error: { code: string; message: string } }
  | { event: string; payload: unknown };
