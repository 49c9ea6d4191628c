import type { InjectionKey } from 'vue';
import { inject } from 'vue';
import type { ConnectionState } from '../../src-main/contract/reconnect';
import type { ApiClient } from './types';

export type { ConnectionState };

/** A file dropped on the window, with its path relative to the dropped folder's parent. */
export interface DroppedFile {
  file: File;
  relativePath: string;
}

/**
 * The API client plus what only the transport knows: real paths of dropped files (Electron),
 * uploading dropped files (browser), media URLs with the access token, and connection state.
 */
export interface StudioClient extends ApiClient {
  readonly kind: 'ws' | 'ipc' | 'memory';
  /** The absolute path of a dropped file or folder, or null when the page cannot know it. */
  pathForFile(file: File): string | null;
  /** Uploads files into a new server-side folder and returns its path. */
  upload(files: DroppedFile[], onProgress?: (done: number, total: number) => void): Promise<{ folder: string }>;
  mediaUrl(url: string): string;
  onConnection(cb: (state: ConnectionState) => void): () => void;
}

export const apiClientKey: InjectionKey<StudioClient> = Symbol('studio-api-client');

/** The client provided in main.ts; only stores call this. */
export function useApiClient(): StudioClient {
  const client = inject(apiClientKey, null);
  if (!client) throw new Error('No API client was provided to the app (apiClientKey).');
  return client;
}

/** Wraps a plain ApiClient (for example the in-memory transport) with no-op transport extras. */
export function fromApiClient(base: ApiClient, extras: Partial<Omit<StudioClient, keyof ApiClient>> = {}): StudioClient {
  return {
    kind: 'memory',
    invoke: (method, input) => base.invoke(method, input),
    subscribe: (event, cb) => base.subscribe(event, cb),
    pathForFile: () => null,
    upload: () => Promise.reject(new Error('Uploading files is not available here.')),
    mediaUrl: (url) => url,
    onConnection: (cb) => {
      cb('open');
      return () => {};
    },
    ...extras,
  };
}
