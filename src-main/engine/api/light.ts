/**
 * The engine's light entry point: types, errors and plain helpers (BMP and CIFAR-10 record
 * decoding, decode errors, image file names, checkpoint names, the divergence and label-check
 * messages, worker threads). It loads nothing but Node's built-ins, so the app's own process
 * (server, services, storage, Electron's main process) and its BMP worker thread, which must never
 * load TensorFlow.js or ONNX Runtime, can use it at no cost: the worker's bundle stays a few KB.
 * Reading images and dataset folders (sharp, jpeg-js) is `./scan`; running models is `./index`.
 * Checked by test/engine/api-entries.test.ts (in a fresh process) and test/server/import-walls.test.ts.
 *
 * Types cost nothing at run time (`export type` is erased), so every public type lives here,
 * including those of modules that do load a runtime; `index.ts` re-exports all of this.
 */
export type { AuditReport, AuditStage } from '../audit/audit';
export { mislabeledMessage } from '../audit/health';
export { bestEpoch, epochCheckpointDir } from '../checkpoint/best-checkpoint';
export { type RgbImage, decodeBmp } from '../data/bmp';
export { CIFAR_SIDE, cifarRecordLocation, readCifarRecordRgb } from '../data/cifar10';
export { DecodeError, joinSkipReason, noReadableImageMessage, splitSkipReason } from '../data/decode-error';
export type { ImageFormat } from '../data/decode-image';
export { isImageFileName, naturalCompare } from '../data/files';
export { AbortedError, isDiskFull, isFileTooLarge, UserError } from '../errors';
export type { ExportCheckOutcome } from '../export/export-and-verify';
export type { ExportCheck } from '../export/verify';
export type { DeviceChoice } from '../runtime/devices';
export type { RuntimeInfo } from '../runtime/logits-runner';
export { divergenceMessage } from '../train/divergence';
export type {
  ClassMetrics,
  Divergence,
  EvaluationResult,
  Groups,
  PredictionItem,
  Scale,
  SkippedFile,
  Stem,
  TestTimeAugmentation,
  TrainConfig,
  TrainEvent,
} from '../types';
export { startWorker } from '../worker-thread';
