/**
 * The engine's public index: what the CLI and the ML host call to train, evaluate, predict,
 * audit, explain and export, plus all of `./light` and `./scan`, which it re-exports. Importing it
 * loads TensorFlow.js (ONNX Runtime loads on first use), so the app's own process (server,
 * services, storage, Electron's main process) imports `./light` and `./scan` instead. Outside
 * src-main/engine/ these three files are the only engine paths anyone may import (eslint.config.js,
 * `engineEntries`), so the engine's folders can be rearranged behind them.
 */
export * from './light';
export * from './scan';
export { auditFolder } from '../audit/audit-folder';
export { initBackend } from '../backend';
export { pretrainedDir } from '../checkpoint/pretrained';
export { downloadCifar10 } from '../data/download';
export { explainImage } from '../explain/explain-image';
export { exportAndVerify } from '../export/export-and-verify';
export { evaluate } from '../jobs/evaluate';
export { predictFiles, predictFolder } from '../jobs/predict';
export { defaultTrainConfig, train } from '../jobs/train';
export { modelSummary } from '../model/summary';
export { onnxRuntimeStatus } from '../onnx/onnx-runtime';
export { DEVICE_CHOICES, deviceLabel, listDevices, pickDevice, requestedDevice } from '../runtime/devices';
export { INFERENCE_RUNTIMES } from '../runtime/logits-runner';
export { initSource, withInitArchitecture } from '../train/init-config';
export { linearProbe, probeOptionsOf } from '../transfer/linear-probe';
