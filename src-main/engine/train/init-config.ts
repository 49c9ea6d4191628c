/** What `init` does to a run's config: the source fixes the architecture (the input size stays the run's). */
import { readManifest, resolveCheckpointDir } from '../checkpoint/checkpoint';
import type { ModelConfig, TrainConfig } from '../types';
import { resolveInit } from '../checkpoint/pretrained';

/** The checkpoint folder an `init` names and the model it holds; null for scratch. */
export interface InitSource {
  dir: string;
  model: ModelConfig;
}

export async function initSource(init: string | undefined): Promise<InitSource | null> {
  const from = resolveInit(init);
  if (from === null) return null;
  const dir = await resolveCheckpointDir(from);
  return { dir, model: (await readManifest(dir)).model };
}

/**
 * `config` with `init` resolved to a checkpoint folder (or dropped for scratch) and scale, groups and
 * stem taken from that checkpoint, so a run started from it can load every layer by name.
 * @param source the already resolved `init`, when the caller has read it
 */
export async function withInitArchitecture(config: TrainConfig, source?: InitSource | null): Promise<TrainConfig> {
  const from = source === undefined ? await initSource(config.init) : source;
  const { init: _requested, ...rest } = config;
  if (from === null) return rest;
  return { ...rest, init: from.dir, scale: from.model.scale, groups: from.model.groups, stem: from.model.stem };
}
