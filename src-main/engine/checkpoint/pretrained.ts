/** Where the model this project pretrained on CIFAR-10 lives, and what `--init` names resolve to. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors';

/** The folder under resources/ that holds the shipped checkpoint (scripts/make-pretrained.mjs writes it). */
export const PRETRAINED_NAME = 'shufflenet-v1-g3-1.0x-cifar10';

/**
 * The shipped checkpoint folder. Looked up from this module upwards, because the module sits at
 * different depths from source (src-main/engine/checkpoint/) and in the bundle (dist-main/ml-host/);
 * SHUFFLENET_PRETRAINED_DIR points elsewhere (tests, a packaged app's resources).
 */
export function pretrainedDir(): string {
  const fromEnv = process.env.SHUFFLENET_PRETRAINED_DIR;
  if (fromEnv) return fromEnv;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const candidate = path.join(dir, 'resources', 'pretrained', PRETRAINED_NAME);
    if (existsSync(path.join(candidate, 'manifest.json'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new UserError(`the pretrained model (resources/pretrained/${PRETRAINED_NAME}) is not installed with this copy of the app`, 'not-found');
}

/** `--init` as the engine uses it: null to train from scratch, else a run or checkpoint folder to start from. */
export function resolveInit(init: string | undefined): string | null {
  if (init === undefined || init === 'scratch') return null;
  if (init === 'pretrained') return pretrainedDir();
  if (!existsSync(init)) throw new UserError(`--init ${init}: no such run or checkpoint folder (or use scratch / pretrained)`, 'not-found');
  return init;
}
