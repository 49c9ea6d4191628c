import { readFileSync } from 'node:fs';
import type { BackendInfoView, Handlers } from '../contract';
import type { ServiceContext } from './context';

export interface AppInfoOptions {
  mode: 'electron' | 'serve';
  version?: string;
  capabilities: { nativeDialogs: boolean; upload: boolean };
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `app.info` answers at once; the backend is known once the ML host has started (`app.backend`). */
export function appHandlers(context: ServiceContext, options: AppInfoOptions): Pick<Handlers, 'app.info' | 'app.backend'> {
  const version = options.version ?? packageVersion();
  let backend: BackendInfoView | null = null;
  let pending: Promise<BackendInfoView> | null = null;
  return {
    'app.info': () => ({ version, dataDir: context.dataDir, mode: options.mode, backend, capabilities: options.capabilities }),
    'app.backend': () => {
      pending ??= context.host
        .call('initBackend', {})
        .then((info) => {
          backend = info;
          context.events.emit('app.backend', { backend: info });
          return info;
        })
        .finally(() => {
          pending = null;
        });
      return pending;
    },
  };
}
