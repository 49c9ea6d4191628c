/**
 * The engine's light entry point: everything the app's own process (server, services, storage,
 * Electron's main process and its BMP worker) and the ML host's scanning and downloading use.
 * Nothing here loads TensorFlow.js or ONNX Runtime, directly or through what it imports: those
 * processes must stay free of both (docs/architecture.md, the walls), and the ML host scans a
 * folder without them. `test/engine/api-entries.test.ts` imports this file in a fresh Node process
 * and fails if either runtime was loaded. It does load sharp and jpeg-js (image sniffing and
 * dataset scanning), which the services load anyway for thumbnails.
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
export { type ImageFormat, sniffImageFormat } from '../data/decode-image';
export { downloadCifar10 } from '../data/download';
export { isImageFileName, naturalCompare } from '../data/files';
export { inspectDataset, loadDataset } from '../data/load-dataset';
export { AbortedError, isDiskFull, isFileTooLarge, UserError } from '../errors';
export type { ExportCheckOutcome } from '../export/export-and-verify';
export type { ExportCheck } from '../export/verify';
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
