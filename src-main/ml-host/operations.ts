/**
 * The ML host's operations: thin calls into the engine. The engine is imported on first use, through
 * `engine/api/scan` (and `light`) for scanning, so scanning a folder never loads TensorFlow.js, and
 * through its index (`engine/api`) for the rest (it loads tfjs, but initialises no backend: a
 * missing native backend only matters to the operations that need one).
 */
import type { BackendInfoView } from '../contract';
import type { PredictionItem } from '../engine/api/light';
import type { Operations, OpName, ScanResult } from './protocol';

export type OperationImpl<O extends OpName> = (
  args: Operations[O]['args'],
  emit: (event: Operations[O]['event']) => void,
  signal: AbortSignal,
) => Promise<Operations[O]['result']>;

async function ensureBackend(prefer?: BackendInfoView['name']): Promise<BackendInfoView> {
  const { initBackend, listDevices, onnxRuntimeStatus, pickDevice, requestedDevice } = await import('../engine/api');
  const info = await initBackend(prefer ? { prefer } : {});
  const onnx = onnxRuntimeStatus();
  const devices = onnx.available ? await listDevices() : undefined;
  const device = onnx.available ? (await pickDevice(requestedDevice()).catch(() => pickDevice('auto'))).device.name : undefined;
  return {
    name: info.name,
    threads: info.threads,
    simd: info.simd,
    tfjsVersion: info.tfjsVersion,
    notLoaded: info.notLoaded,
    onnxRuntime: onnx.available ? onnx.version : null,
    devices,
    device,
  };
}

/** Progress events at most every 100 ms (and always the last one), so the pipe is not flooded. */
function throttled(emit: (event: { type: 'progress'; done: number; total: number | null }) => void) {
  let last = 0;
  return (done: number, total: number | null) => {
    const time = Date.now();
    if (done !== total && time - last < 100) return;
    last = time;
    emit({ type: 'progress', done, total });
  };
}

/** Where a prediction's items and progress go. */
function predictionStream(emit: (event: Operations['predictFiles']['event']) => void, signal: AbortSignal) {
  return { signal, onItem: (item: PredictionItem) => emit({ type: 'item', item }), onProgress: throttled(emit) };
}

export const operations: { [O in OpName]: OperationImpl<O> } = {
  initBackend: (args) => ensureBackend(args.prefer),

  async scanDataset(args, emit, signal): Promise<ScanResult> {
    const { loadDataset } = await import('../engine/api/scan');
    const { naturalCompare } = await import('../engine/api/light');
    // The first walk event after 100 ms too: a short walk then goes straight to decoding.
    let lastWalk = Date.now();
    const onWalk = (seen: number, found: number) => {
      if (Date.now() - lastWalk < 100) return;
      lastWalk = Date.now();
      emit({ type: 'walk', seen, found });
    };
    const dataset = await loadDataset(args.dir, { storeSize: args.storeSize, signal, onProgress: throttled(emit), onWalk });
    if (dataset.format === 'cifar10-binary') {
      const labels: Record<string, number[]> = {};
      for (const [name, split] of Object.entries(dataset.splits)) labels[name] = Array.from(split.labels);
      return { format: dataset.format, root: dataset.root, classes: dataset.classes, labels };
    }
    const images: { key: string; path: string; label: number }[] = [];
    for (const split of [...Object.values(dataset.splits), ...(dataset.unlabeled ? [dataset.unlabeled] : [])]) {
      for (let i = 0; i < split.count; i++) {
        images.push({ key: split.id(i), path: split.filePath?.(i) ?? split.id(i), label: split.labels[i] });
      }
    }
    // Rows are stored, and so listed, in this order: the order a person expects ("2.jpg" before "10.jpg").
    images.sort((a, b) => naturalCompare(a.key, b.key));
    const skipped = [...dataset.skipped].sort((a, b) => naturalCompare(a.path, b.path));
    return { format: dataset.format, root: dataset.root, classes: dataset.classes, images, skipped };
  },

  async downloadCifar10(args, emit, signal) {
    const { downloadCifar10 } = await import('../engine/api');
    const folder = await downloadCifar10(args.destDir, { url: args.url, signal, onProgress: throttled(emit) });
    return { folder };
  },

  async train(args, emit, signal) {
    await ensureBackend();
    const { train, defaultTrainConfig } = await import('../engine/api');
    const config = defaultTrainConfig(args.config);
    return train(config, { signal, onEvent: emit, resume: args.resume });
  },

  async evaluate(args, emit, signal) {
    await ensureBackend();
    const { evaluate } = await import('../engine/api');
    return evaluate({ ...args, signal, onProgress: throttled(emit) });
  },

  async exportModel(args) {
    const { exportModel } = await import('./export-model');
    return exportModel(args);
  },

  async predictFolder(args, emit, signal) {
    await ensureBackend();
    const { predictFolder } = await import('../engine/api');
    return predictFolder({ ...args, ...predictionStream(emit, signal) });
  },

  async auditFolder(args, emit, signal) {
    await ensureBackend();
    const { auditFolder } = await import('../engine/api');
    let last = 0;
    return auditFolder(args.dir, {
      from: args.from,
      signal,
      onProgress: (stage, done, total) => {
        // At most every 100 ms, and always a stage's last step.
        if (done !== total && Date.now() - last < 100) return;
        last = Date.now();
        emit({ type: 'progress', stage, done, total });
      },
    });
  },

  async explainImage(args) {
    await ensureBackend();
    const { explainImage } = await import('../engine/api');
    const explained = await explainImage(args);
    const { classIndex, className, probability, width, height, values, preprocessing } = explained;
    return { classIndex, className, probability, width, height, values, fit: preprocessing.fit };
  },

  async predictFiles(args, emit, signal) {
    await ensureBackend();
    const { predictFiles } = await import('../engine/api');
    return predictFiles({ ...args, ...predictionStream(emit, signal) });
  },
};
