import { describe, expect, it } from 'vitest';
import { ApiError, ApiRouter, connectInMemory, events, methods, trainConfigInputSchema, type Dataset, type Handlers } from '../../src-main/contract';

const dataset: Dataset = {
  id: 1,
  name: 'pets',
  kind: 'folder',
  root: '/data/pets',
  classes: [{ id: 1, name: 'cat', count: 2 }],
  imageCount: 2,
  unlabeledCount: 0,
  skipped: [],
  splits: {},
  createdAt: new Date(0).toISOString(),
};

function makeRouter(handlers: Partial<Handlers>, errors: unknown[] = []) {
  return new ApiRouter({ onError: (_where, error) => errors.push(error) }).register(handlers);
}

describe('schemas', () => {
  it('reject bad input', () => {
    expect(methods['datasets.get'].input.safeParse({ id: 0 }).success).toBe(false);
    expect(methods['datasets.get'].input.safeParse({ id: 'x' }).success).toBe(false);
    expect(methods['datasets.addFolder'].input.safeParse({ path: '  ' }).success).toBe(false);
    expect(methods['labels.assign'].input.safeParse({ imageIds: [], classId: 1 }).success).toBe(false);
    expect(methods['evaluation.export'].input.safeParse({ evaluationId: 1, format: 'xml' }).success).toBe(false);
    expect(methods['app.info'].input.safeParse({ extra: true }).success).toBe(false);
    expect(trainConfigInputSchema.safeParse({ scale: 3 }).success).toBe(false);
    expect(trainConfigInputSchema.safeParse({ groups: 5 }).success).toBe(false);
    expect(trainConfigInputSchema.safeParse({ batchSize: 0 }).success).toBe(false);
    expect(trainConfigInputSchema.safeParse({ lr: 0.1, typo: 1 }).success).toBe(false);
    expect(trainConfigInputSchema.safeParse({ momentum: 1 }).success).toBe(false);
    expect(trainConfigInputSchema.safeParse({ device: 'gpu' }).success).toBe(false);
    // No client picks what the server fetches (issue 17 item 1e): any url is refused.
    expect(methods['datasets.downloadCifar10'].input.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(methods['datasets.downloadCifar10'].input.safeParse({ url: 'http://127.0.0.1:8080/cifar.tar.gz' }).success).toBe(false);
    expect(methods['datasets.downloadCifar10'].input.safeParse({}).success).toBe(true);
  });

  it('accept good input and fill defaults', () => {
    const parsed = methods['images.list'].input.parse({ datasetId: 3 });
    expect(parsed).toEqual({ datasetId: 3, filter: {}, order: 'file', offset: 0, limit: 100 });
    expect(methods['images.list'].input.parse({ datasetId: 3, filter: { classId: null } }).filter.classId).toBeNull();
    expect(trainConfigInputSchema.parse({ scale: 0.5, groups: 3, microBatchSize: 'auto', device: 'webgpu' })).toEqual({
      scale: 0.5,
      groups: 3,
      microBatchSize: 'auto',
      device: 'webgpu',
    });
  });

  it('name every event domain.noun', () => {
    for (const name of [...Object.keys(events), ...Object.keys(methods)]) expect(name).toMatch(/^[a-z]+\.[a-zA-Z0-9]+$/);
  });
});

describe('in-memory transport', () => {
  it('round-trips a call through JSON', async () => {
    const seen: unknown[] = [];
    const router = makeRouter({
      'datasets.get': ({ id }) => {
        seen.push(id);
        return { ...dataset, id };
      },
    });
    const { client, close } = connectInMemory(router);
    await expect(client.invoke('datasets.get', { id: 7 })).resolves.toEqual({ ...dataset, id: 7 });
    expect(seen).toEqual([7]);
    close();
  });

  it('validates input on the server and re-throws a typed error', async () => {
    let called = false;
    const router = makeRouter({
      'datasets.get': () => {
        called = true;
        return dataset;
      },
    });
    const { client } = connectInMemory(router);
    const error = await client.invoke('datasets.get', { id: -1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('invalid-input');
    expect((error as ApiError).message).toContain('id');
    expect(called).toBe(false);
  });

  it('carries handler errors as { code, message }', async () => {
    class UserError extends Error {
      constructor(message: string) {
        super(message);
        this.name = 'UserError';
      }
    }
    const router = makeRouter({
      'datasets.get': () => {
        throw new ApiError('not-found', 'No dataset 9');
      },
      'datasets.addFolder': () => {
        throw new UserError('Folder /x has no images');
      },
      'datasets.list': () => {
        throw new Error('disk on fire');
      },
    });
    const { client } = connectInMemory(router);
    await expect(client.invoke('datasets.get', { id: 9 })).rejects.toMatchObject({ code: 'not-found', message: 'No dataset 9' });
    await expect(client.invoke('datasets.addFolder', { path: '/x' })).rejects.toMatchObject({
      code: 'user-error',
      message: 'Folder /x has no images',
    });
    await expect(client.invoke('datasets.list', {})).rejects.toMatchObject({ code: 'internal', message: 'disk on fire' });
    await expect(client.invoke('runs.list', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('rejects malformed handler output', async () => {
    const errors: unknown[] = [];
    const router = makeRouter({ 'datasets.get': () => ({ ...dataset, kind: 'zip' }) as unknown as Dataset }, errors);
    const { client } = connectInMemory(router);
    await expect(client.invoke('datasets.get', { id: 1 })).rejects.toMatchObject({ code: 'invalid-output' });
    expect(errors).toHaveLength(1);
  });

  it('delivers events to subscribers until they unsubscribe, and drops invalid ones', async () => {
    const errors: unknown[] = [];
    const router = makeRouter({}, errors);
    const { client } = connectInMemory(router);
    const got: number[] = [];
    const stop = client.subscribe('predict.progress', (p) => got.push(p.done));
    // Events go only to connections that listen, and the listen message crosses the pair like any message.
    await new Promise((r) => setTimeout(r, 5));
    router.emit('predict.progress', { jobId: 'j', done: 1, total: 3 });
    router.emit('predict.progress', { jobId: 'j', done: -5, total: 3 });
    await new Promise((r) => setTimeout(r, 5));
    stop();
    router.emit('predict.progress', { jobId: 'j', done: 2, total: 3 });
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('rejects pending and later calls once closed', async () => {
    const router = makeRouter({ 'datasets.list': () => new Promise<Dataset[]>(() => {}) });
    const { client, close } = connectInMemory(router);
    const pending = client.invoke('datasets.list', {});
    close('test over');
    await expect(pending).rejects.toMatchObject({ code: 'transport-closed' });
    await expect(client.invoke('datasets.list', {})).rejects.toBeInstanceOf(ApiError);
  });
});
