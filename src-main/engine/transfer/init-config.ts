/** What `init` does to a run's config: the source fixes the architecture (the input size stays the run's). */
import { readManifest, resolveCheckpointDir } from '../train/checkpoint';
import type { TrainConfig } from '../types';
import { resolveInit } from './pretrained';

/**
 * `config` with `init` resolved to a folder (or dropped for scratch) and scale, groups and stem
 * taken from that checkpoint, so a run started from it can load every layer by name.
 */
export async function withInitArchitecture(config: TrainConfig): Promise<TrainConfig> {
  const from = resolveInit(config.init);
  if (from === null) {
    const { init: _scratch, ...rest } = config;
    return rest;
  }
  const source = await readManifest(await resolveCheckpointDir(from));
  return { ...config, init: from, scale: source.model.scale, groups: source.model.groups, stem: source.model.stem };
}
