/**
 * Test support for stores and components: a fake server is an ApiRouter with the handlers a test
 * needs, connected through the contract's in-memory transport, so every request and reply still
 * passes the zod schemas exactly as with the real services.
 */
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createApp } from 'vue';
import { ApiRouter, connectInMemory, type Handlers } from '../../src-main/contract';
import { apiClientKey, fromApiClient, type StudioClient } from '../../src-renderer/api/studio-client';
import type { AppInfo, Dataset, Evaluation, PredictItem, Run } from '../../src-renderer/api/types';

export interface FakeServer {
  router: ApiRouter;
  client: StudioClient;
  /** Calls by method, in order, with their validated input. */
  calls: { method: string; input: unknown }[];
  /** Handler errors the router saw (a test fails on a malformed reply through this). */
  errors: unknown[];
  close(): void;
}

export function fakeServer(handlers: Partial<Handlers>): FakeServer {
  const errors: unknown[] = [];
  const calls: { method: string; input: unknown }[] = [];
  const router = new ApiRouter({ onError: (_where, error) => errors.push(error) });
  const recorded = Object.fromEntries(
    Object.entries(handlers).map(([method, handler]) => [
      method,
      (input: unknown, context: unknown) => {
        calls.push({ method, input });
        return (handler as (i: unknown, c: unknown) => unknown)(input, context);
      },
    ]),
  ) as Partial<Handlers>;
  router.register(recorded);
  const rpc = connectInMemory(router);
  return { router, client: fromApiClient(rpc.client), calls, errors, close: () => rpc.close() };
}

/** A Pinia whose stores receive `client` through inject(), as in main.ts. */
export function installStores(client: StudioClient): Pinia {
  const app = createApp({ render: () => null });
  app.provide(apiClientKey, client);
  const pinia = createPinia();
  app.use(pinia);
  setActivePinia(pinia);
  return pinia;
}

/** Options for @vue/test-utils `mount` that give components the same pinia and client. */
export function mountOptions(client: StudioClient, pinia: Pinia) {
  return { global: { plugins: [pinia], provide: { [apiClientKey as symbol]: client } } };
}

/** Lets in-memory messages (one microtask per hop) and awaited handlers settle. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

export function makeDataset(overrides: Partial<Dataset> = {}): Dataset {
  return {
    id: 1,
    name: 'pets',
    kind: 'folder',
    root: '/data/pets',
    classes: [
      { id: 1, name: 'cat', count: 3 },
      { id: 2, name: 'dog', count: 2 },
    ],
    imageCount: 6,
    unlabeledCount: 1,
    skipped: [],
    splits: {},
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}

export function makeRun(overrides: Partial<Run> = {}): Run {
  return {
    id: 1,
    datasetId: 1,
    name: 'run 1',
    status: 'queued',
    config: { epochs: 2, batchSize: 4 },
    error: null,
    backend: null,
    classes: ['cat', 'dog'],
    epochsCompleted: 0,
    epochs: 2,
    bestValAccuracy: null,
    startedAt: new Date(0).toISOString(),
    endedAt: null,
    durationSec: 0,
    checkpointDir: null,
    ...overrides,
  };
}

export function makeEvaluation(overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    id: 1,
    runId: 1,
    datasetId: 1,
    split: 'validation',
    top1: 0.75,
    top5: 1,
    loss: 0.6,
    count: 8,
    classes: ['cat', 'dog'],
    confusion: [
      [3, 1],
      [1, 3],
    ],
    perClass: [
      { precision: 0.75, recall: 0.75, f1: 0.75, support: 4 },
      { precision: 0.75, recall: 0.75, f1: 0.75, support: 4 },
    ],
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}

export function predicted(id: number, path: string, label: string, probability: number): PredictItem {
  return { id, path, thumbUrl: `/media/thumb/predict/${id}`, top: [{ label, probability }] };
}

export const appInfo: AppInfo = {
  version: '0.1.0',
  dataDir: '/tmp/studio',
  mode: 'serve',
  backend: { name: 'wasm', threads: 2, notLoaded: [{ name: 'tensorflow-gpu', reason: 'libcudart.so.11.0: cannot open shared object file' }] },
  capabilities: { nativeDialogs: false, upload: true },
};
