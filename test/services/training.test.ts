import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Payload, Run } from '../../src-main/contract';
import { makeImageFolder, removeDir, startHarness, TINY, tempDir, writeBroken, writePng, type Harness } from './helpers';
import { hasEnded } from '../../src-main/contract';
import { TRAIN_CONFIG_DEFAULTS } from '../../src-main/contract/train-config-values';
import { PRETRAINED_ARCH } from '../../src-renderer/stores/training-config';

let root: string;
let harness: Harness;
let dataset: Dataset;

beforeAll(async () => {
  root = tempDir('training');
  await makeImageFolder(join(root, 'pets'), 8, 2);
  harness = startHarness(join(root, 'data'));
  dataset = await harness.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
  // Labels that exist only in the database: the root images join the classes.
  const loose = await harness.client.invoke('images.list', { datasetId: dataset.id, filter: { classId: null } });
  await harness.client.invoke('labels.assign', { imageIds: [loose.items[0].id], classId: dataset.classes[0].id });
  await harness.client.invoke('labels.assign', { imageIds: [loose.items[1].id], classId: dataset.classes[1].id });
});

afterAll(() => {
  harness?.close();
  removeDir(root);
});

const finished = (p: Payload<'training.status'>) => hasEnded(p.run.status);

describe('training through the ML host', () => {
  let run: Run;

  it('trains one tiny epoch and streams batch, epoch and status events', async () => {
    const batches: Payload<'training.batch'>[] = [];
    const epochs: Payload<'training.epoch'>[] = [];
    const statuses: string[] = [];
    harness.client.subscribe('training.batch', (p) => batches.push(p));
    harness.client.subscribe('training.epoch', (p) => epochs.push(p));
    harness.client.subscribe('training.status', (p) => statuses.push(p.run.status));
    const done = harness.next('training.status', finished, 240_000);
    const backend = harness.next('app.backend');
    expect((await harness.client.invoke('app.info', {})).backend).toBeNull();
    run = await harness.client.invoke('training.start', { datasetId: dataset.id, config: TINY, name: 'tiny' });
    expect(run).toMatchObject({ name: 'tiny', status: 'queued', datasetId: dataset.id, queuePosition: null });
    const final = (await done).run;
    expect(final.error).toBeNull();
    expect(final.status).toBe('completed');
    expect(statuses).toEqual(expect.arrayContaining(['queued', 'running', 'completed']));
    expect(batches.length).toBeGreaterThan(0);
    expect(batches[0]).toMatchObject({ runId: run.id, epoch: expect.any(Number), loss: expect.any(Number) });
    expect(epochs).toHaveLength(1);
    expect(final).toMatchObject({ epochsCompleted: 1, epochs: 1, classes: ['cat', 'dog'] });
    const tfjsBackend = (await backend).backend.name;
    // The run names what trained it: ONNX Runtime where it loads, else the tfjs backend.
    expect(final.backend === tfjsBackend || /^onnxruntime-node /.test(final.backend ?? '')).toBe(true);
    expect((await harness.client.invoke('app.info', {})).backend?.name).toBe(tfjsBackend);
    expect(final.bestValAccuracy).toBeGreaterThanOrEqual(0);
    expect(final.checkpointDir).toEqual(expect.any(String));
    expect(final.durationSec).toBeGreaterThan(0);
    expect(final.resolvedConfig).toMatchObject({ scale: 0.25, stem: 'cifar', inputSize: 16, momentum: expect.any(Number) });
    expect(final.knownClasses).toEqual([]);
    const detail = await harness.client.invoke('runs.get', { id: run.id });
    expect(detail.epochMetrics).toHaveLength(1);
    expect(detail.epochMetrics[0]).toMatchObject({ epoch: 1, trainLoss: epochs[0].trainLoss });
    // The steps the charts drew, for a reload or a second tab: every batch event, in order.
    expect(detail.stepMetrics?.map((b) => [b.epoch, b.step, b.lr])).toEqual(batches.map((b) => [b.epoch, b.step, b.lr]));
    expect((await harness.client.invoke('runs.list', {})).map((r) => r.id)).toEqual([run.id]);
  });

  it("starts a run from the pretrained model and another from that run, each with its source's architecture", async () => {
    const fromPretrained = harness.next('training.status', (p) => finished(p), 240_000);
    const requested = { ...TINY, init: 'pretrained' as const };
    const first = await harness.client.invoke('training.start', { datasetId: dataset.id, config: requested, name: 'from pretrained' });
    expect(first).toMatchObject({ config: requested, resolvedConfig: null });
    const a = (await fromPretrained).run;
    expect(a).toMatchObject({ id: first.id, status: 'completed', error: null });
    // The request stays as sent; beside it the engine's config (issue 13): the shipped model's
    // architecture, not the 0.25x TINY asked for, the defaults TINY left out, and no folders.
    expect(a.config).toEqual(requested);
    expect(a.resolvedConfig).toMatchObject({
      ...PRETRAINED_ARCH,
      inputSize: 16,
      epochs: 1,
      init: 'pretrained',
      seed: TRAIN_CONFIG_DEFAULTS.seed,
      momentum: TRAIN_CONFIG_DEFAULTS.momentum,
      headOnlyEpochs: 0,
    });
    expect(a.resolvedConfig).not.toHaveProperty('dataset');
    expect(a.resolvedConfig).not.toHaveProperty('outDir');
    expect(await harness.client.invoke('runs.get', { id: a.id })).toMatchObject({ config: requested, resolvedConfig: a.resolvedConfig });
    // cat and dog are CIFAR-10 classes: their head rows came from the pretrained model's.
    expect(a.knownClasses).toEqual(['cat', 'dog']);
    const fromRun = harness.next('training.status', (p) => p.runId !== first.id && finished(p), 240_000);
    await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, init: first.id }, name: 'from a run' });
    expect((await fromRun).run).toMatchObject({ status: 'completed', error: null, knownClasses: ['cat', 'dog'] });
    await expect(harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, init: 9999 } })).rejects.toThrow(
      'Run 9999 has no checkpoint to start from',
    );
  });

  it('queues a Train pressed while a run trains, starts it when the first ends, and cancels a waiting run', async () => {
    const timeline: [number, string][] = [];
    const off = harness.client.subscribe('training.status', (p) => timeline.push([p.runId, p.run.status]));
    const first = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, epochs: 2 }, name: 'first' });
    const second = await harness.client.invoke('training.start', { datasetId: dataset.id, config: TINY, name: 'second' });
    const third = await harness.client.invoke('training.start', { datasetId: dataset.id, config: TINY, name: 'third' });
    expect(second).toMatchObject({ status: 'queued', queuePosition: 1 });
    expect(third).toMatchObject({ status: 'queued', queuePosition: 2 });
    const listed = await harness.client.invoke('runs.list', {});
    expect(listed.find((r) => r.id === third.id)?.queuePosition).toBe(2);
    // Stop on a waiting run takes it out of the line; the run ahead of it keeps its place.
    expect(await harness.client.invoke('training.stop', { runId: third.id })).toMatchObject({ status: 'stopped', queuePosition: null });
    expect((await harness.client.invoke('runs.get', { id: second.id })).queuePosition).toBe(1);
    await harness.next('training.status', (p) => p.runId === second.id && p.run.status === 'completed', 240_000);
    off();
    const firstEnd = timeline.findIndex(([id, status]) => id === first.id && status === 'completed');
    const secondStart = timeline.findIndex(([id, status]) => id === second.id && status === 'running');
    // Never two at once: the second runs only after the first completed; the cancelled one never ran.
    expect(firstEnd).toBeGreaterThan(-1);
    expect(secondStart).toBeGreaterThan(firstEnd);
    expect(timeline.some(([id, status]) => id === third.id && status === 'running')).toBe(false);
    expect((await harness.client.invoke('runs.get', { id: second.id })).queuePosition).toBeNull();
    for (const id of [first.id, second.id, third.id]) await harness.client.invoke('runs.remove', { id });
  });

  it('evaluates the run and shows the images of a confusion cell', async () => {
    const evaluation = await harness.client.invoke('evaluation.run', { runId: run.id });
    expect(evaluation).toMatchObject({ runId: run.id, datasetId: dataset.id, split: 'validation', classes: ['cat', 'dog'] });
    expect(evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(evaluation.count);
    for (const t of [0, 1]) {
      for (const p of [0, 1]) {
        const cell = await harness.client.invoke('evaluation.samples', { evaluationId: evaluation.id, trueClass: t, predictedClass: p });
        // Every cell, the diagonal too, shows as many images as it counts.
        expect(cell.total).toBe(evaluation.confusion[t][p]);
        for (const item of cell.items) {
          expect(item).toMatchObject({ trueLabel: evaluation.classes[t], predictedLabel: evaluation.classes[p] });
          expect((await harness.services.media.handle(new Request(new URL(item.thumbUrl, 'http://x')))).status).toBe(200);
        }
      }
    }
    const csv = await harness.client.invoke('evaluation.export', { evaluationId: evaluation.id, format: 'csv' });
    expect(csv.content.split('\n')[0]).toBe('\uFEFFclass,precision,recall,f1,support,predicted_cat,predicted_dog');
    const json = JSON.parse((await harness.client.invoke('evaluation.export', { evaluationId: evaluation.id, format: 'json' })).content);
    expect(json.top1).toBe(evaluation.top1);
    expect(await harness.client.invoke('evaluation.listForRun', { runId: run.id })).toEqual([evaluation]);
  });

  it('predicts a folder with a broken image, streams items, exports CSV and accepts labels', async () => {
    const input = join(root, 'incoming');
    await writePng(join(input, 'red.png'), [220, 40, 40], 24, 7);
    await writePng(join(input, 'blue.png'), [40, 40, 220], 24, 8);
    writeBroken(join(input, 'broken.png'));
    const items: Payload<'predict.item'>[] = [];
    harness.client.subscribe('predict.item', (p) => items.push(p));
    const donePromise = harness.next('predict.done');
    const { jobId } = await harness.client.invoke('predict.start', { runId: run.id, folder: input });
    const done = await donePromise;
    expect(done).toEqual({ jobId, predicted: 2, skipped: 1, tta: 'none' });
    expect(items.filter((i) => i.jobId === jobId)).toHaveLength(3);
    const list = await harness.client.invoke('predict.list', { jobId });
    expect(list.done).toBe(true);
    // What was streamed is what was stored.
    expect(items.filter((i) => i.jobId === jobId).map((i) => i.item)).toEqual(list.items);
    const skipped = list.items.find((i) => 'skipped' in i);
    expect(skipped?.path).toBe(join(input, 'broken.png'));
    const predicted = list.items.filter((i) => 'top' in i);
    expect(predicted).toHaveLength(2);
    for (const item of predicted) if ('top' in item) expect(item.top[0].label).toMatch(/^(cat|dog)$/);
    const csvText = (await harness.client.invoke('predict.exportCsv', { jobId })).content;
    expect(csvText.startsWith('\uFEFFpath,label,probability,top2_label,top2_probability')).toBe(true);
    const csv = csvText.trim().split('\n');
    expect(csv).toHaveLength(4);
    // The skipped reason, then the job's test-time augmentation.
    expect(csv.find((line) => line.startsWith(join(input, 'broken.png')))).toMatch(/,[^,]+,none$/);
    const { added } = await harness.client.invoke('predict.accept', { jobId, datasetId: dataset.id });
    expect(added).toBe(2);
    const after = await harness.client.invoke('datasets.get', { id: dataset.id });
    expect(after.imageCount).toBe(dataset.imageCount + 2);
  });

  it('stops a run at a batch boundary, resumes it to the end, and removes it with its folder', async () => {
    const first = harness.next('training.batch');
    const started = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, epochs: 8, keepCheckpoints: 1 } });
    expect((await first).runId).toBe(started.id);
    const stoppedEvent = harness.next('training.status', (p) => p.runId === started.id && p.run.status === 'stopped');
    expect((await harness.client.invoke('training.stop', { runId: started.id })).status).toBe('stopping');
    const stopped = (await stoppedEvent).run;
    expect(stopped.epochsCompleted).toBeLessThan(8);
    expect(stopped.endedAt).not.toBeNull();
    const completedEvent = harness.next('training.status', (p) => p.runId === started.id && p.run.status === 'completed', 240_000);
    expect((await harness.client.invoke('training.resume', { runId: started.id })).status).toBe('queued');
    const completed = (await completedEvent).run;
    expect(completed.epochsCompleted).toBe(8);
    expect(completed.durationSec).toBeGreaterThanOrEqual(stopped.durationSec);
    const detail = await harness.client.invoke('runs.get', { id: started.id });
    expect(detail.epochMetrics.map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(harness.client.invoke('training.resume', { runId: started.id })).rejects.toMatchObject({ code: 'conflict' });

    // Evaluation measures the best epoch's checkpoint by default (kept however few checkpoints are
    // kept), so it matches the run's best validation accuracy; the newest one on request.
    const best = detail.epochMetrics.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
    const ofBest = await harness.client.invoke('evaluation.run', { runId: started.id });
    expect(ofBest.checkpoint).toEqual({ kind: 'best', epoch: best.epoch });
    expect(ofBest.top1).toBeCloseTo(completed.bestValAccuracy ?? -1, 6);
    const ofLast = await harness.client.invoke('evaluation.run', { runId: started.id, checkpoint: 'last' });
    expect(ofLast.checkpoint).toEqual({ kind: 'last', epoch: 8 });
    expect(ofLast.top1).toBeCloseTo(detail.epochMetrics[7].valAccuracy, 6);
    expect((await harness.client.invoke('evaluation.listForRun', { runId: started.id })).map((e) => e.checkpoint?.kind).sort()).toEqual(['best', 'last']);
    const runDir = join(harness.dataDir, 'runs', String(started.id));
    expect(existsSync(join(runDir, 'data', 'cat'))).toBe(true);
    await harness.client.invoke('runs.remove', { id: started.id });
    expect(existsSync(runDir)).toBe(false);
    await expect(harness.client.invoke('runs.get', { id: started.id })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('marks the run failed with the reason when the ML host dies, and starts a new host after', async () => {
    const running = harness.next('training.status', (p) => p.run.status === 'running', 240_000);
    const failed = harness.next('training.status', (p) => p.run.status === 'failed', 240_000);
    const second = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, epochs: 50 } });
    await running;
    const hostsBefore = harness.ports.length;
    harness.ports.at(-1)?.kill();
    const { run: dead } = await failed;
    expect(dead.id).toBe(second.id);
    expect(dead.error).toMatch(/ML host process (was killed by SIGTERM|exited with code)/);
    const again = await harness.client.invoke('evaluation.run', { runId: run.id });
    expect(again.count).toBeGreaterThan(0);
    expect(harness.ports.length).toBe(hostsBefore + 1);
  });
});
