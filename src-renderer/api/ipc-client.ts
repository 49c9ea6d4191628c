import { ApiError, toApiError } from './api-error';
import type { StudioClient } from './studio-client';
import type { EventName, Input, MethodName, Output, Payload } from './types';

/** What the preload script exposes as `window.studio` (and nothing more). */
export interface StudioBridge {
  invoke(method: string, input: unknown): Promise<unknown>;
  subscribe(event: string, cb: (payload: unknown) => void): () => void;
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    studio?: StudioBridge;
  }
}

/** The Electron window's client: everything goes through the two-function preload bridge. */
export function createIpcClient(bridge: StudioBridge): StudioClient {
  return {
    kind: 'ipc',
    async invoke<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
      try {
        return (await bridge.invoke(method, input)) as Output<M>;
      } catch (err) {
        // The preload rejects with a plain { code, message } because Errors lose fields crossing the bridge.
        throw toApiError(err);
      }
    },
    subscribe<E extends EventName>(event: E, cb: (payload: Payload<E>) => void) {
      return bridge.subscribe(event, cb as (payload: unknown) => void);
    },
    pathForFile(file: File) {
      return bridge.pathForFile(file) || null;
    },
    upload() {
      return Promise.reject(new ApiError('unsupported', 'The desktop app reads dropped folders in place; nothing to upload.'));
    },
    mediaUrl: (url) => url,
    onConnection(cb) {
      cb('open');
      return () => {};
    },
  };
}
