/**
 * The two IPC channels between the preload bridge and the main process. Every method and event of
 * the contract travels inside them, so the contract's names are the only names that vary.
 */
export const INVOKE_CHANNEL = 'studio:invoke';
export const EVENT_CHANNEL = 'studio:event';

/** What `INVOKE_CHANNEL` answers: errors travel as data because Electron flattens thrown ones. */
export type InvokeReply = { result: unknown } | { error: { code: string; message: string } };

/** What `EVENT_CHANNEL` carries. */
export interface EventMessage {
  event: string;
  payload: unknown;
}
