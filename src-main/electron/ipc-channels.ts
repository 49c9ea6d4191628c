/**
 * The IPC channels between the preload bridge and the main process. Every method and event of
 * the contract travels inside them, so the contract's names are the only names that vary.
 */
export const INVOKE_CHANNEL = 'studio:invoke';
export const EVENT_CHANNEL = 'studio:event';
/**
 * The page's whole set of event names (a string array), sent whenever it changes and once when
 * the preload starts: a window outlives its page (a reload), and the whole set replaces whatever
 * the last page listened to. Answered like `INVOKE_CHANNEL`.
 */
export const LISTEN_CHANNEL = 'studio:listen';

/** What `INVOKE_CHANNEL` answers: errors travel as data because Electron flattens thrown ones. */
export type InvokeReply = { result: unknown } | { error: { code: string; message: string } };

/** What `EVENT_CHANNEL` carries. */
export interface EventMessage {
  event: string;
  payload: unknown;
}
