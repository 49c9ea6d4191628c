import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEnded, type Payload, type Run } from '../../src-main/contract';
import { makeImageFolder, removeDir, startHarness, TINY, tempDir, type Harness } from './helpers';

let root: string;
let harness: Harness;
let run: Run;

beforeAll(async () => {
  root = tempDir('tta');
  await makeImageFolder(join(root, 'pets'), 8);
  harness = startHarness(join(root, 'data'));
  const dataset = await harness.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
  const done = harness.next('training.status', (p: Payload<'training.status'>) => hasEnded(p.run.status), 240_000);
  await harness.client.invoke('training.start', { datasetId: dataset.id, config: TINY, name: 'tiny' });
  run = (await done).run;
  if (run.status !== 'completed') throw new Error(`fixture run ended ${run.status}: ${run.error}`);
}, 300_000);

afterAll(() => {
  harness?.close();
  removeDir(root);
});

describe('test-time augmentation through the services', () => {
  it('evaluation.run takes tta, and the stored evaluation names the one that ran', async () => {
    const plain = await harness.client.invoke('evaluation.run', { runId: run.id });
    const flipped = await harness.client.invoke('evaluation.run', { runId: run.id, tta: 'flip' });
    expect(plain.tta).toBe('none');
    expect(flipped.tta).toBe('flip');
    expect(flipped.count).toBe(plain.count);
    expect(flipped.loss).not.toBeCloseTo(plain.loss, 6);
    expect((await harness.client.invoke('evaluation.get', { id: flipped.id })).tta).toBe('flip');
    await expect(harness.client.invoke('evaluation.run', { runId: run.id, tta: 'rotate' as never })).rejects.toThrow(/tta/);
  });

  it('predict.start takes tta, records it on the job, names it in predict.done and the CSV, and its probabilities are the flipped ones', async () => {
    const folder = join(root, 'pets', 'cat');
    const predict = async (tta?: 'flip') => {
      const done = harness.next('predict.done');
      const started = await harness.client.invoke('predict.start', { runId: run.id, folder, ...(tta ? { tta } : {}) });
      return { started, done: await done, items: (await harness.client.invoke('predict.list', { jobId: started.jobId })).items };
    };
    const plain = await predict();
    const flipped = await predict('flip');
    expect(plain.started.tta).toBe('none');
    expect(flipped.started.tta).toBe('flip');
    expect(harness.services.storage.predictions.getJob(flipped.started.jobId)?.tta).toBe('flip');
    expect(harness.services.storage.predictions.getJob(plain.started.jobId)?.tta).toBe('none');
    expect([plain.done.tta, flipped.done.tta]).toEqual(['none', 'flip']);
    // The CSV's last column, on the header and on every row (8 images).
    const lastColumn = async (jobId: string) =>
      (await harness.client.invoke('predict.exportCsv', { jobId })).content
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\n')
        .map((line) => line.split(',').at(-1));
    expect(await lastColumn(flipped.started.jobId)).toEqual(['tta', ...Array(8).fill('flip')]);
    expect(await lastColumn(plain.started.jobId)).toEqual(['tta', ...Array(8).fill('none')]);
    const top = (items: typeof plain.items) => items.map((i) => ('top' in i ? i.top[0].probability : NaN));
    expect(top(flipped.items)).toHaveLength(8);
    expect(top(flipped.items)).not.toEqual(top(plain.items));
  });
});
