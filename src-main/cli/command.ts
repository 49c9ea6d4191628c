import type { ParseArgsConfig } from 'node:util';
import type { Output } from './output';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** One CLI command: its options (parsed with node:util parseArgs) and what it does. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[]; out: Output; signal: AbortSignal }): Promise<number | void>;
}
