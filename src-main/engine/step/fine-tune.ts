/**
 * The fine-tuning options of a run started from another model (TrainConfig.headOnlyEpochs and
 * backboneLrScale) and the head's rate (headLrScale, any run), in one home for both training runtimes: which weights a step updates, and each
 * weight's share of the schedule's learning rate. MomentumSgd (tfjs) and OnnxTrainer (ONNX Runtime)
 * both take their rates from MomentumSgd.rateOf, which asks lrScaleOf here.
 */
import { HEAD_LAYER } from '../model/copy-weights';
import type { TrainConfig } from '../types';
import { TRAIN_CONFIG_DEFAULTS } from '../../contract/train-config-values';

/** What a config without the fine-tuning options does (older checkpoints' configs lack them): the contract's defaults. */
export const FINE_TUNE_DEFAULTS = {
  headOnlyEpochs: TRAIN_CONFIG_DEFAULTS.headOnlyEpochs,
  backboneLrScale: TRAIN_CONFIG_DEFAULTS.backboneLrScale,
} as const;

/** Whether a trainable weight, by its saved name (`classifier/kernel`), belongs to the classifier head. */
export function isHeadWeight(name: string): boolean {
  return name.startsWith(`${HEAD_LAYER}/`);
}

/**
 * Whether the steps of epoch `epoch` (0-based) update only the head. The backbone then runs in
 * inference mode: its weights get no gradient, and its batch norms normalise with their moving
 * statistics and leave them as they are, so the head learns on the features the model will compute
 * when it predicts, and the phase is a true linear probe that changes no backbone number at all.
 * (Training-mode batch norm would normalise with a small batch's own statistics and move the
 * source's moving statistics towards the folder's, which is no longer a frozen backbone.)
 */
export function headOnlyAt(config: Pick<TrainConfig, 'headOnlyEpochs'>, epoch: number): boolean {
  return epoch < (config.headOnlyEpochs ?? FINE_TUNE_DEFAULTS.headOnlyEpochs);
}

/**
 * The share of the schedule's rate weight `name` is updated at: headLrScale (1 when absent) for the
 * head, backboneLrScale for the rest. The head's share is a from-scratch recipe setting too: a slower
 * head keeps the warm-up of a random model out of its loss spike (docs/results.md, 2026-12-03).
 */
export function lrScaleOf(config: Pick<TrainConfig, 'backboneLrScale' | 'headLrScale'>, name: string): number {
  return isHeadWeight(name) ? (config.headLrScale ?? 1) : (config.backboneLrScale ?? FINE_TUNE_DEFAULTS.backboneLrScale);
}
