import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer } from './server';

export { startServer, type RunningServer, type StartServerOptions } from './server';

/**
 * Starts serve mode, prints exactly one line (the address with its token) on stdout, and runs
 * until `signal` fires. Everything else the server says goes to stderr.
 */
export async function runServeCommand(options: { port: number; host: string; dataDir?: string; signal?: AbortSignal }): Promise<void> {
  const server = await startServer({ port: options.port, host: options.host, dataDir: options.dataDir });
  process.stdout.write(`ShuffleNet Studio: ${server.url}\n`);
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
}

function isEntry(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'data-dir': { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, got ${values.port}`);
    process.exit(2);
  }
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
  runServeCommand({ port, host: values.host as string, dataDir: values['data-dir'], signal: controller.signal }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
