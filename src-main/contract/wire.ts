import { z } from 'zod';

/**
 * The JSON messages of message-based transports (WebSocket, in-memory):
 * client -> `{id, method, input}`; server -> `{id, result}` | `{id, error}` | `{event, payload}`.
 */
export const requestId = z.union([z.number().int(), z.string().min(1)]);

export const clientMessageSchema = z.object({ id: requestId, method: z.string().min(1), input: z.unknown() });
export type ClientMessage = z.infer<typeof clientMessageSchema>;

const wireErrorSchema = z.object({ code: z.string(), message: z.string() });

export const serverMessageSchema = z.union([
  z.object({ id: requestId, result: z.unknown() }),
  z.object({ id: requestId, error: wireErrorSchema }),
  z.object({ event: z.string().min(1), payload: z.unknown() }),
]);
export type ServerMessage =
  | { id: string | number; result: unknown }
  | { id: string | number; error: { code: string; message: string } }
  | { event: string; payload: unknown };
