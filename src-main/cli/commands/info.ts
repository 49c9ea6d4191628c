import os from 'node:os';
import { initBackend } from '../../engine/backend';
import { onnxRuntimeStatus } from '../../engine/runtime/onnx-runtime';
import type { Command } from '../command';
import { table } from '../output';

export const infoCommand: Command = {
  name: 'info',
  summary: 'Which TensorFlow.js backend runs (versions, threads), and whether ONNX Runtime serves inference',
  usage: 'info [--backend NAME] [--json]',
  options: {},
  async run({ out }) {
    const backend = await initBackend();
    const result = {
      backend: backend.name,
      tfjsVersion: backend.tfjsVersion,
      threads: backend.threads,
      simd: backend.simd,
      threadsNote: backend.threadsNote,
      notLoaded: backend.notLoaded,
      onnxRuntime: onnxRuntimeStatus(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
    };
    out.result(result, (r: typeof result) =>
      [
        table([
          ['backend', r.backend],
          ['tfjs', r.tfjsVersion],
          ['threads', r.threadsNote ? `${r.threads} (${r.threadsNote})` : r.threads],
          ['simd', r.simd ? 'yes' : 'no'],
          ['inference', r.onnxRuntime.available ? `ONNX Runtime ${r.onnxRuntime.version} (evaluation and prediction)` : `TensorFlow.js (ONNX Runtime: ${r.onnxRuntime.reason})`],
          ['node', `${r.node} (${r.platform}, ${r.cpus} cpus)`],
        ]),
        ...r.notLoaded.map((n) => `not loaded: ${n.name}: ${n.reason}`),
      ].join('\n'),
    );
  },
};
