/**
 * followJob (job-events.ts) through a real router and the in-memory transport: a start handler
 * that emits before it answers is exactly the race the stores used to buffer for themselves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ApiRouter, connectInMemory, type ApiClient, type RpcClient } from '../../src-main/contract';
import { followJob, followNewRun } from '../../src-main/contract/job-events';
import { makeRun } from '../renderer/support';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
let rpc: RpcClient | null = null;
afterEach(() => rpc?.close());

function serve(start: (router: ApiRouter) => { jobId: string; total: number }) {
  const router = new ApiRouter();
  router.register({ 'predict.start': () => start(router) });
  rpc = connectInMemory(router);
  return { router, client: rpc.client };
}

describe('followJob', { timeout: 5000 }, () => {
  it('replays this job’s events sent before its id in order, after onStarted, and drops other jobs’', async () => {
    const { router, client } = serve((r) => {
      r.emit('predict.progress', { jobId: 'other', done: 5, total: 9 });
      r.emit('predict.progress', { jobId: 'mine', done: 1, total: 3 });
      r.emit('predict.item', { jobId: 'mine', item: { id: 1, path: '/a.png', skipped: 'broken' } });
      return { jobId: 'mine', total: 3 };
    });
    const seen: string[] = [];
    const job = followJob(
      client,
      'predict.start',
      { runId: 1, folder: '/in' },
      {
        'predict.progress': (p) => seen.push(`progress ${p.jobId} ${p.done}`),
        'predict.item': (p) => seen.push(`item ${p.item.id}`),
      },
      (output) => seen.push(`started ${output.jobId}`),
    );
    await expect(job.started).resolves.toMatchObject({ jobId: 'mine', total: 3 });
    expect(seen).toEqual(['started mine', 'progress mine 1', 'item 1']);
    router.emit('predict.progress', { jobId: 'other', done: 6, total: 9 });
    router.emit('predict.progress', { jobId: 'mine', done: 2, total: 3 });
    await tick();
    expect(seen.slice(3)).toEqual(['progress mine 2']);
  });

  it('stops from inside a handler: the rest of the held events and later ones are not delivered', async () => {
    const { router, client } = serve((r) => {
      r.emit('predict.done', { jobId: 'j', predicted: 0, skipped: 0, tta: 'none' });
      r.emit('predict.progress', { jobId: 'j', done: 1, total: 1 });
      return { jobId: 'j', total: 1 };
    });
    const seen: string[] = [];
    const job = followJob(
      client,
      'predict.start',
      { runId: 1, folder: '/in' },
      {
        'predict.done': () => {
          seen.push('done');
          job.stop();
        },
        'predict.progress': () => seen.push('progress'),
      },
    );
    await job.started;
    router.emit('predict.progress', { jobId: 'j', done: 1, total: 1 });
    await tick();
    expect(seen).toEqual(['done']);
  });

  it('unsubscribes and re-throws when the start call fails', async () => {
    const router = new ApiRouter();
    router.register({
      'predict.start': () => {
        throw new ApiError('not-found', 'No run 1');
      },
    });
    rpc = connectInMemory(router);
    const base = rpc.client;
    // Counts the subscriptions followJob holds: a failed start must not leave any behind.
    let live = 0;
    const client: ApiClient = {
      invoke: (method, input) => base.invoke(method, input),
      subscribe(event, callback) {
        live++;
        const off = base.subscribe(event, callback);
        return () => {
          live--;
          off();
        };
      },
    };
    const seen: unknown[] = [];
    const job = followJob(client, 'predict.start', { runId: 1, folder: '/in' }, { 'predict.progress': (p) => seen.push(p) });
    expect(live).toBe(1);
    await expect(job.started).rejects.toMatchObject({ code: 'not-found' });
    expect(live).toBe(0);
    router.emit('predict.progress', { jobId: 'j', done: 1, total: 1 });
    await tick();
    expect(seen).toEqual([]);
  });

  it('followNewRun: the new run’s steps sent before training.start answers replay after onStarted; other runs’ are dropped', async () => {
    const router = new ApiRouter();
    const step = (runId: number, step: number) => ({ runId, epoch: 1, step, stepsPerEpoch: 4, loss: 2, accuracy: 0.1, lr: 0.01, imagesPerSec: 50 });
    router.register({
      'training.start': () => {
        router.emit('training.batch', step(3, 7));
        router.emit('training.batch', step(4, 1));
        router.emit('training.status', { runId: 4, run: makeRun({ id: 4, status: 'running' }) });
        return makeRun({ id: 4, status: 'running' });
      },
    });
    rpc = connectInMemory(router);
    const seen: string[] = [];
    const job = followNewRun(
      rpc.client,
      { datasetId: 1, config: {} },
      {
        'training.batch': (p) => seen.push(`batch ${p.runId} ${p.step}`),
        'training.status': (p) => seen.push(`status ${p.run.status}`),
      },
      (run) => seen.push(`started ${run.id}`),
    );
    await expect(job.started).resolves.toMatchObject({ id: 4 });
    expect(seen).toEqual(['started 4', 'batch 4 1', 'status running']);
    router.emit('training.batch', step(3, 8));
    router.emit('training.batch', step(4, 2));
    await tick();
    expect(seen.slice(3)).toEqual(['batch 4 2']);
    job.stop();
    router.emit('training.batch', step(4, 3));
    await tick();
    expect(seen).toHaveLength(4);
  });
});
