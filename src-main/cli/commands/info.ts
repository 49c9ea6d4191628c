import os from 'node:os';
import { initBackend, deviceLabel, listDevices, pickDevice, onnxRuntimeStatus } from '../../engine/api';
import type { Command } from '../command';
import { table } from '../output';

export const infoCommand: Command = {
  name: 'info',
  summary: 'Which TensorFlow.js backend runs (versions, threads), whether ONNX Runtime serves inference, and on which devices',
  usage: 'info [--backend NAME] [--json]',
  options: {},
  async run({ out }) {
    const backend = await initBackend();
    const devices = await listDevices();
    // The device 'auto' takes, named in the human table; the env var SHUFFLENET_DEVICE does not change the list.
    const auto = await pickDevice('auto');
    const result = {
      backend: backend.name,
      tfjsVersion: backend.tfjsVersion,
      threads: backend.threads,
      simd: backend.simd,
      threadsNote: backend.threadsNote,
      notLoaded: backend.notLoaded,
      onnxRuntime: onnxRuntimeStatus(),
      devices,
      autoDevice: auto.device.name,
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
          [
            'inference',
            r.onnxRuntime.available
              ? `ONNX Runtime ${r.onnxRuntime.version} (evaluation and prediction)`
              : `TensorFlow.js (ONNX Runtime: ${r.onnxRuntime.reason})`,
          ],
          ['device', r.onnxRuntime.available ? `${r.autoDevice} (--device auto)` : 'cpu (TensorFlow.js)'],
          ['node', `${r.node} (${r.platform}, ${r.cpus} cpus)`],
        ]),
        '',
        table([['device', 'available', 'why not / note'], ...r.devices.map((d) => [deviceLabel(d), d.available ? 'yes' : 'no', d.reason])]),
        ...r.notLoaded.map((n) => `not loaded: ${n.name}: ${n.reason}`),
      ].join('\n'),
    );
  },
};
