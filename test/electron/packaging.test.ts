import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ENTRIES } from '../../scripts/build-main.mjs';

const root = join(import.meta.dirname, '..', '..');
// electron-builder's own YAML reader and schema check, so the test judges the file as `npm run dist` will.
const require = createRequire(join(root, 'node_modules', 'app-builder-lib', 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  linux: { target: string[]; icon: string };
  win: { target: { target: string }[]; icon: string };
  mac: { target: string[]; icon: string };
  electronFuses?: Record<string, boolean>;
}

const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds AppImage and deb, nsis and dmg for ShuffleNet Studio', () => {
    expect(config.productName).toBe('ShuffleNet Studio');
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z-]+)+$/);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  // Issue 17 item 1f: without fuses the installed binary is a general Node.js runtime
  // (ELECTRON_RUN_AS_NODE=1, NODE_OPTIONS=--require, --inspect) that runs code from anywhere.
  it('flips the fuses that keep the packaged app from running as Node or loading code outside its asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('needs no RunAsNode: the Electron main starts the ML host with utilityProcess, never child_process.fork', () => {
    for (const file of ['main.ts', 'utility-host-port.ts']) {
      const source = readFileSync(join(root, 'src-main', 'electron', file), 'utf8');
      expect(source, file).not.toMatch(/child_process|ELECTRON_RUN_AS_NODE/);
    }
    expect(readFileSync(join(root, 'src-main', 'electron', 'main.ts'), 'utf8')).toMatch(/hostPort:[\s\S]*utilityProcess\.fork/);
  });

  it('keeps native modules and the wasm binaries outside the asar', () => {
    for (const pattern of ['better-sqlite3', 'sharp', '@img', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'tfjs-backend-wasm/dist/*.wasm']) {
      expect(
        config.asarUnpack.some((entry) => entry.includes(pattern)),
        pattern,
      ).toBe(true);
    }
  });

  it('packs the built main side and renderer, not the Electron-ABI copies made for npm start', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist-main/**/*', 'dist-renderer/**/*', '!dist-main/node_modules/**']));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    const mainEntry = ENTRIES.find((entry) => entry.name === 'main')!;
    expect(pkg.main).toBe(`dist-main/${mainEntry.out}`);
  });

  it('points at real PNG icons of 512 and 256 pixels', async () => {
    for (const [file, size] of [
      [config.linux.icon, 512],
      [config.mac.icon, 512],
      [config.win.icon, 256],
    ] as const) {
      expect(existsSync(join(root, file)), file).toBe(true);
      const meta = await sharp(join(root, file)).metadata();
      expect([meta.format, meta.width, meta.height], file).toEqual(['png', size, size]);
    }
  });
});
