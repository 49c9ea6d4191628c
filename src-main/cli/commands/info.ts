import os from 'node:os';
import { initBackend } from '../../engine/backend';
import type { Command } from '../command';
import { table } from '../output';

export const infoCommand: Command = {
  name: 'info',
  summary: 'Which TensorFlow.js backend runs, with versions and threads',
  usage: 'info [--backend NAME] [--json]',
  options: {},
  async run({ out }) {
    const backend = await initBackend();
    const result = {
      backend: backend.name,
      tfjsVersion: backend.tfjsVersion,
      threads: backend.threads,
      simd: backend.simd,
      notLoaded: backend.notLoaded,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
    };
    out.result(result, (r: typeof result) =>
      [
        table([
          ['backend', r.backend],
          ['tfjs', r.tfjsVersion],
          ['threads', r.threads],
          ['simd', r.simd ? 'yes' : 'no'],
          ['node', `${r.node} (${r.platform}, ${r.cpus} cpus)`],
        ]),
        ...r.notLoaded.map((n) => `not loaded: ${n.name}: ${n.reason}`),
      ].join('\n'),
    );
  },
};
