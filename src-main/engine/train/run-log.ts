/** The run folder's plain-text record: `run.json` (resolved config) and `metrics.jsonl` (one epoch event per line). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TrainConfig, TrainEvent } from '../types';

const RUN_JSON = 'run.json';
const METRICS = 'metrics.jsonl';

export async function writeRunJson(outDir: string, info: { config: TrainConfig; classes: string[]; backend: string; microBatchSize: number }): Promise<void> {
  await fs.mkdir(outDir, { recursive: true });
  const tmp = path.join(outDir, `.${RUN_JSON}.tmp`);
  await fs.writeFile(tmp, JSON.stringify({ ...info, updatedAt: new Date().toISOString() }, null, 2));
  await fs.rename(tmp, path.join(outDir, RUN_JSON));
}

export async function appendEpochMetrics(outDir: string, event: Extract<TrainEvent, { type: 'epoch' }>): Promise<void> {
  await fs.appendFile(path.join(outDir, METRICS), `${JSON.stringify(event)}\n`);
}

/**
 * Drops lines for epochs after `epochsCompleted`, so a run resumed from a checkpoint does not list
 * an epoch twice. A missing file is created empty.
 */
export async function truncateEpochMetrics(outDir: string, epochsCompleted: number): Promise<void> {
  const file = path.join(outDir, METRICS);
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const kept = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { epoch: number }).epoch <= epochsCompleted;
      } catch {
        return false;
      }
    });
  await fs.writeFile(file, kept.map((line) => `${line}\n`).join(''));
}
