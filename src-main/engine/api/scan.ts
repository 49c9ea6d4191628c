/**
 * The engine's entry point for reading image files and dataset folders: format sniffing, scanning
 * a folder or CIFAR-10 into a dataset. It loads sharp and jpeg-js, and neither TensorFlow.js nor
 * ONNX Runtime, so the services (media sniffing) and the ML host's scans use it without a model
 * runtime. Apart from `./light` because sharp would otherwise load into every light importer (the
 * BMP worker's bundle would grow from 6 KB to 190 KB with sharp required). The CIFAR-10 download
 * is in the index, not here: its tar would add 120 KB to the Electron main bundle, which needs
 * only the sniffing (esbuild drops the rest of this file's unused code, but not tar's).
 * Checked by test/engine/api-entries.test.ts and test/electron/main-bundle.test.ts.
 */
export { sniffImageFormat } from '../data/decode-image';
export { inspectDataset, loadDataset } from '../data/load-dataset';
