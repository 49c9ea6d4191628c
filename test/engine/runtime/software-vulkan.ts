/**
 * The software Vulkan the GPU tests run on: SwiftShader, which Debian's chromium package ships
 * (with its own Vulkan loader) and .ci/run installs. A process sees it only when started with this
 * environment (the loader is found through LD_LIBRARY_PATH at start-up), so GPU tests run their
 * work in a child process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const CHROMIUM_DIR = '/usr/lib/chromium';
const ICD = path.join(CHROMIUM_DIR, 'vk_swiftshader_icd.json');
const root = path.resolve(__dirname, '../../..');

/** The environment that makes SwiftShader the only Vulkan driver, or why there is none here. */
export function swiftShaderEnv(): { env: Record<string, string> } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'SwiftShader from chromium is looked for on Linux only' };
  if (!existsSync(ICD) || !existsSync(path.join(CHROMIUM_DIR, 'libvulkan.so.1'))) {
    return { skip: `no software Vulkan adapter: ${ICD} and its libvulkan.so.1 are missing (apt install chromium)` };
  }
  const ld = [CHROMIUM_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { env: { LD_LIBRARY_PATH: ld, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } };
}

/**
 * Skips with `reason`, except in CI (CI=true), where SwiftShader is installed: there a missing
 * adapter is a failure, so a broken GPU path cannot hide behind a skip.
 */
export function skipUnlessCi(context: { skip: (note?: string) => void }, reason: string): void {
  if (process.env.CI === 'true') throw new Error(`CI=true but the WebGPU test cannot run: ${reason}`);
  context.skip(reason);
}

/** Runs a TypeScript file or the CLI (`src-main/cli/main.ts`) in a child node with `env` added. */
export function runNode(env: Record<string, string>, script: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SHUFFLENET_BACKEND: 'wasm', ...env },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
