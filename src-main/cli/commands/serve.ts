import { numberOption } from '../args';
import type { Command } from '../command';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the app in a browser: services and UI on 127.0.0.1 with an access token',
  usage: 'serve [--port N] [--host 127.0.0.1] [--data-dir DIR]',
  options: { port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' } },
  async run({ values, signal }) {
    // Loaded lazily: the engine commands should not pay for the server's imports.
    const { runServeCommand } = await import('../../server/main');
    await runServeCommand({
      port: numberOption(values, 'port', 0)!,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      dataDir: values['data-dir'] as string | undefined,
      signal,
    });
  },
};
