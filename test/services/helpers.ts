import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { connectInMemory, type ApiClient, type EventName, type Payload, type RpcClient, type TrainConfigInput } from '../../src-main/contract';
import { forkHostPort } from '../../src-main/ml-host/fork-port';
import type { MlHostPort } from '../../src-main/ml-host/port';
import { createAppRouter, mlHostEnv, type Services } from '../../src-main/services';

/** As small as the engine allows, so one epoch takes seconds on a CPU backend. */
export const TINY: TrainConfigInput = {
  scale: 0.25,
  groups: 3,
  stem: 'cifar',
  inputSize: 16,
  epochs: 1,
  batchSize: 8,
  // 0.05 ran away on these few images (an epoch-1 mean loss above ln C + 4), which the run now reports as diverged.
  lr: 0.01,
  warmupEpochs: 0,
  augment: false,
  microBatchSize: 8,
  validationFraction: 0.25,
};

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `studio-${prefix}-`));
}

/** A small PNG whose colour depends on the class, so a model can tell classes apart. */
export async function writePng(path: string, rgb: [number, number, number], size = 24, seed = 0): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const noise = ((i * 7919 + seed * 104729) % 31) - 15;
    for (let c = 0; c < 3; c++) pixels[3 * i + c] = Math.max(0, Math.min(255, rgb[c] + noise));
  }
  await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path);
}

export function writeBroken(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.from('this is not a png at all'));
}

/** `root/<class>/<n>.png` for each class, plus `unlabeled` images at the root. */
export async function makeImageFolder(root: string, perClass: number, unlabeled = 0): Promise<void> {
  const colours: Record<string, [number, number, number]> = { cat: [220, 40, 40], dog: [40, 40, 220] };
  for (const [name, rgb] of Object.entries(colours)) {
    for (let i = 0; i < perClass; i++) await writePng(join(root, name, `${i}.png`), rgb, 24, i);
  }
  for (let i = 0; i < unlabeled; i++) await writePng(join(root, `loose-${i}.png`), i % 2 ? [40, 40, 220] : [220, 40, 40], 24, 100 + i);
}

export interface Harness {
  client: ApiClient;
  services: Services;
  dataDir: string;
  ports: MlHostPort[];
  /** Another client on the same router (its own connection, which `close` ends). */
  connect(): RpcClient;
  /** Resolves with the first event of that name for which `match` is true. */
  next<E extends EventName>(event: E, match?: (payload: Payload<E>) => boolean, timeoutMs?: number): Promise<Payload<E>>;
  close(): void;
}

/** Real services on a real SQLite file, a real forked ML host, and an in-memory transport. */
export function startHarness(dataDir: string): Harness {
  const ports: MlHostPort[] = [];
  const { router, services } = createAppRouter({
    dataDir,
    mode: 'serve',
    hostPort: () => {
      const port = forkHostPort({ log: () => undefined, env: mlHostEnv(dataDir) });
      ports.push(port);
      return port;
    },
    onError: (where, error) => {
      throw new Error(`router error in ${where}: ${String(error)}`);
    },
  });
  const connection = connectInMemory(router);
  return {
    client: connection.client,
    services,
    dataDir,
    ports,
    connect: () => connectInMemory(router),
    next(event, match = () => true, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`no ${event} event within ${timeoutMs} ms`));
        }, timeoutMs);
        const stop = connection.client.subscribe(event, (payload) => {
          if (!match(payload)) return;
          clearTimeout(timer);
          stop();
          resolve(payload);
        });
      });
    },
    close() {
      connection.close();
      services.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Real services over a fresh data folder, with `root/pets` (makeImageFolder, then `prepare`) added as a dataset. */
export async function startWithFolder(prefix: string, perClass: number, unlabeled = 0, prepare?: (pets: string) => void) {
  const dataDir = tempDir(prefix);
  const root = tempDir(`${prefix}-data`);
  const pets = join(root, 'pets');
  await makeImageFolder(pets, perClass, unlabeled);
  prepare?.(pets);
  const harness = startHarness(dataDir);
  const dataset = await harness.client.invoke('datasets.addFolder', { path: pets });
  return {
    harness,
    dataset,
    dataDir,
    close() {
      harness.close();
      removeDir(dataDir);
      removeDir(root);
    },
  };
}
