/** Runs the CLI in a real child process, as a person would from a terminal. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** `shufflenet-studio ...args` on the wasm backend (plus `env`); its exit code and both streams. */
export function runCli(env: Record<string, string>, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return runCliLimited(null, env, ...args);
}

/** The same with `ulimit -f` set to `fileSizeKb` (null: no limit): files grow no larger, writes past it fail with EFBIG. */
export function runCliLimited(
  fileSizeKb: number | null,
  env: Record<string, string>,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const node = [process.execPath, '--import', 'tsx', 'src-main/cli/main.ts', ...args];
  const [command, ...argv] = fileSizeKb === null ? node : ['bash', '-c', `ulimit -f ${fileSizeKb} && exec "$@"`, 'bash', ...node];
  const result = spawnSync(command, argv, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SHUFFLENET_BACKEND: 'wasm', ...env },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
