import { afterEach, describe, expect, it, vi } from 'vitest';
import { useEvaluationStore } from '../../src-renderer/stores/evaluation';
import { fakeServer, installStores, makeEvaluation, settle, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => {
  server?.close();
  vi.restoreAllMocks();
});

function evaluationServer() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  server = fakeServer({
    'evaluation.listForRun': ({ runId }) => [makeEvaluation({ id: 1, runId, top1: 0.5 })],
    'evaluation.run': async ({ runId, limit }) => {
      server.router.emit('evaluation.progress', { runId, done: 4, total: 8 });
      await gate;
      return makeEvaluation({ id: 2, runId, count: limit ?? 8 });
    },
    'evaluation.samples': ({ trueClass, predictedClass, offset, limit }) => ({
      total: 3,
      items: Array.from({ length: Math.min(limit, 3 - offset) }, (_, i) => ({
        sampleId: offset + i + 1,
        path: `/data/${offset + i}.png`,
        thumbUrl: `/media/thumb/sample/${offset + i + 1}`,
        trueLabel: ['cat', 'dog'][trueClass],
        predictedLabel: ['cat', 'dog'][predictedClass],
        probability: 0.6,
      })),
    }),
    'evaluation.export': ({ format }) => ({ filename: `evaluation.${format}`, content: format === 'json' ? '{"top1":0.75}' : 'class,precision\n' }),
  });
  installStores(server.client);
  const store = useEvaluationStore();
  return { store, release };
}

describe('useEvaluationStore', () => {
  it('evaluates the best epoch’s checkpoint unless the newest is chosen, and waits for the run’s list to load', async () => {
    let answer: () => void = () => undefined;
    server = fakeServer({
      // Newest first, as the server lists them.
      'evaluation.listForRun': ({ runId }) =>
        new Promise((resolve) => (answer = () => resolve([makeEvaluation({ id: 6, runId, top1: 0.7 }), makeEvaluation({ id: 5, runId, top1: 0.6 })]))),
      'evaluation.run': ({ runId, checkpoint }) => makeEvaluation({ id: 7, runId, checkpoint: { kind: checkpoint ?? 'best', epoch: 3 } }),
    });
    installStores(server.client);
    const store = useEvaluationStore();
    const listed = store.selectRun(3);
    expect(store.loading).toBe(true);
    const first = store.run();
    await settle();
    expect(server.calls.some((c) => c.method === 'evaluation.run')).toBe(false);
    answer();
    await listed;
    expect((await first)?.checkpoint).toEqual({ kind: 'best', epoch: 3 });
    expect(server.calls.find((c) => c.method === 'evaluation.run')?.input).toEqual({ runId: 3, checkpoint: 'best' });
    // The result just made is current, after the listed ones (oldest first).
    expect(store.evaluations.map((e) => e.id)).toEqual([5, 6, 7]);
    expect(store.current?.id).toBe(7);
    store.checkpoint = 'last';
    await store.run();
    expect(server.calls.at(-1)?.input).toEqual({ runId: 3, checkpoint: 'last' });
  });

  it('shows the newest of a run’s evaluations when the list comes newest first', async () => {
    server = fakeServer({ 'evaluation.listForRun': ({ runId }) => [makeEvaluation({ id: 9, runId }), makeEvaluation({ id: 4, runId })] });
    installStores(server.client);
    const store = useEvaluationStore();
    await store.selectRun(2);
    expect(store.current?.id).toBe(9);
  });

  it('opens the latest evaluation of a run', async () => {
    const { store } = evaluationServer();
    await store.selectRun(3);
    expect(store.current?.id).toBe(1);
    expect(store.current?.runId).toBe(3);
  });

  it('runs an evaluation with progress and makes it current', async () => {
    const { store, release } = evaluationServer();
    await store.selectRun(3);
    const done = store.run({ limit: 8 });
    await settle();
    expect(store.running).toBe(true);
    expect(store.progress).toEqual({ done: 4, total: 8 });
    release();
    const evaluation = await done;
    expect(evaluation?.id).toBe(2);
    expect(store.current?.id).toBe(2);
    expect(store.evaluations.map((e) => e.id)).toEqual([1, 2]);
    expect(store.running).toBe(false);
    expect(server.calls.find((c) => c.method === 'evaluation.run')?.input).toEqual({ runId: 3, limit: 8, checkpoint: 'best' });
  });

  it('loads the images of a clicked cell page by page', async () => {
    const { store } = evaluationServer();
    await store.selectRun(3);
    await store.selectCell({ trueClass: 1, predictedClass: 0 });
    expect(store.samplesTotal).toBe(3);
    expect(store.samples.map((s) => [s.trueLabel, s.predictedLabel])).toEqual([
      ['dog', 'cat'],
      ['dog', 'cat'],
      ['dog', 'cat'],
    ]);
    expect(server.calls.at(-1)?.input).toEqual({ evaluationId: 1, trueClass: 1, predictedClass: 0, offset: 0, limit: 48 });
  });

  it('exports JSON as a download named by the server', async () => {
    const { store } = evaluationServer();
    await store.selectRun(3);
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:test');
    const names: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    await store.exportAs('json');
    expect(names).toEqual(['evaluation.json']);
  });
});
