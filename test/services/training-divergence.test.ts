import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Payload } from '../../src-main/contract';
import { makeImageFolder, removeDir, startHarness, TINY, tempDir, type Harness } from './helpers';

let root: string;
let harness: Harness;
let dataset: Dataset;

beforeAll(async () => {
  root = tempDir('training-divergence');
  await makeImageFolder(join(root, 'pets'), 8, 2);
  harness = startHarness(join(root, 'data'));
  dataset = await harness.client.invoke('datasets.addFolder', { path: join(root, 'pets') });
});

afterAll(() => {
  harness?.close();
  removeDir(root);
});

// The contract caps lr at 10: the highest rate a client may ask for still diverges here.
describe('a run that diverges in the ML host', () => {
  it('ends as diverged with its reason and remedy, kept in the database, and cannot be resumed', async () => {
    const ended = harness.next('training.status', (p: Payload<'training.status'>) => !['queued', 'running', 'stopping'].includes(p.run.status), 240_000);
    const started = await harness.client.invoke('training.start', { datasetId: dataset.id, config: { ...TINY, epochs: 3, lr: 10 }, name: 'absurd lr' });
    const final = (await ended).run;
    expect(final.status).toBe('diverged');
    expect(final.divergence?.remedy).toBe('lower the learning rate (try 2 instead of 10)');
    expect(final.error).toMatch(/^Training diverged: .+ Likely remedy: lower the learning rate \(try 2 instead of 10\)\.$/);
    expect(final.epochsCompleted).toBeLessThan(3);
    const listed = (await harness.client.invoke('runs.list', {})).find((r) => r.id === started.id);
    expect(listed).toMatchObject({ status: 'diverged', divergence: final.divergence });
    await expect(harness.client.invoke('training.resume', { runId: started.id })).rejects.toThrow(/diverged.*lower the learning rate/);
  }, 240_000);
});
