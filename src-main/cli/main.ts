/**
 * `shufflenet-studio <command>`: the engine from a terminal. Human output by default, `--json`
 * for scripts. A user mistake is one line on stderr and exit code 1, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { AbortedError, isDiskFull, isFileTooLarge, UserError } from '../engine/api';
import type { Command } from './command';
import { datasetCommand } from './commands/dataset';
import { evalCommand } from './commands/eval';
import { exportCommand } from './commands/export';
import { infoCommand } from './commands/info';
import { modelSummaryCommand } from './commands/model-summary';
import { predictCommand } from './commands/predict';
import { serveCommand } from './commands/serve';
import { trainCommand } from './commands/train';
import { createOutput } from './output';

const commands: Command[] = [infoCommand, modelSummaryCommand, datasetCommand, trainCommand, evalCommand, predictCommand, exportCommand, serveCommand];

const sharedOptions = {
  json: { type: 'boolean' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'ShuffleNet Studio command line',
    '',
    'usage: shufflenet-studio <command> [options]   (npm run --silent cli -- <command> ...)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --json (machine-readable output) and --backend tensorflow-gpu|tensorflow|wasm|cpu',
    '(or the SHUFFLENET_BACKEND environment variable). `<command> --help` shows its options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UserError(`unknown command "${name}"; commands: ${commands.map((c) => c.name).join(', ')}`);

  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...sharedOptions, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UserError(`${(error as Error).message.split('\n')[0]}; usage: ${command.usage}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`usage: shufflenet-studio ${command.usage}\n`);
    return 0;
  }
  if (typeof parsed.values.backend === 'string') process.env.SHUFFLENET_BACKEND = parsed.values.backend;

  // The first Ctrl-C asks the command to stop cleanly (training writes a checkpoint); the second exits.
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nStopping (press Ctrl-C again to quit at once)...\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });

  const out = createOutput(Boolean(parsed.values.json));
  const code = await command.run({
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
    out,
    signal: controller.signal,
  });
  return code ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UserError || error instanceof AbortedError) {
      process.stderr.write(`error: ${error.message}\n`);
    } else if (isDiskFull(error)) {
      // Where the engine knows more (a checkpoint) it says so in a UserError; elsewhere the system's words.
      process.stderr.write(`error: the disk is full (${(error as Error).message})\n`);
    } else if (isFileTooLarge(error)) {
      process.stderr.write(`error: the file system refuses a file that large (${(error as Error).message}); write to a disk without that limit\n`);
    } else {
      process.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
