import { readFileSync } from 'node:fs';
import type { Handlers } from '../contract';
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
  return {
    'app.info': () => ({
      version,
      dataDir: context.dataDir,
      mode: options.mode,
      backend: context.backend.info,
      capabilities: options.capabilities,
    }),
    'app.backend': () => context.backend.ensure(),
  };
}
