import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer } from './server';

export { startServer, type RunningServer, type StartServerOptions } from './server';

/** How long shutting down may take before the process gives up waiting and exits anyway. */
const SHUTDOWN_DEADLINE_MS = 5_000;

/** Resolves when `signal` aborts or the process gets SIGTERM (what service managers and `kill` send). */
function untilStopped(signal: AbortSignal | undefined): Promise<string> {
  return new Promise<string>((resolve) => {
    const stop = (why: string) => {
      process.off('SIGTERM', onTerm);
      resolve(why);
    };
    const onTerm = () => stop('SIGTERM');
    process.once('SIGTERM', onTerm);
    if (signal?.aborted) stop('stop requested');
    signal?.addEventListener('abort', () => stop('stop requested'), { once: true });
  });
}

/**
 * Starts serve mode, prints exactly one line (the address with its token) on stdout, and runs
 * until `signal` fires or SIGTERM comes. Then it shuts down cleanly: every connection closed, the
 * ML host stopped, the database closed. Everything else the server says goes to stderr.
 */
export async function runServeCommand(options: { port: number; host: string; dataDir?: string; signal?: AbortSignal }): Promise<void> {
  const server = await startServer({ port: options.port, host: options.host, dataDir: options.dataDir });
  process.stdout.write(`ShuffleNet Studio: ${server.url}\n`);
  const why = await untilStopped(options.signal);
  process.stderr.write(`ShuffleNet Studio: stopping (${why})\n`);
  // A safety net, not the plan: if closing hangs or some handle still keeps the process alive, it
  // ends anyway and says so. The timer is unref'd, so a process that exits normally never waits for it.
  setTimeout(() => {
    process.stderr.write(`ShuffleNet Studio: still running ${SHUTDOWN_DEADLINE_MS / 1000} s after the stop request; exiting\n`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
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
  // SIGTERM is runServeCommand's own (the CLI's `serve` gets it the same way).
  process.once('SIGINT', () => controller.abort());
  runServeCommand({ port, host: values.host as string, dataDir: values['data-dir'], signal: controller.signal }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
