/**
 * The layer list (model/plan.ts) against the models it describes: the tfjs model built from it,
 * and the pretrained model shipped in resources/, whose names and wiring a change of the list
 * must not move (checkpoints on disk load by these names).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { allLayers, describeShuffleNet, weightsOf } from '../../src-main/engine/model/plan';
import { buildShuffleNetV1 } from '../../src-main/engine/model/shufflenet';
import type { ModelConfig } from '../../src-main/engine/types';
import { PRETRAINED_NAME } from '../../src-main/engine/checkpoint/pretrained';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const PRETRAINED = path.join(__dirname, '../../resources/pretrained', PRETRAINED_NAME);

interface StoredLayer {
  name: string;
  class_name: string;
  inbound_nodes: [string, number, number, unknown][][];
}

/** Each layer's name, class and the layers it reads, in the topology's order. */
function wiring(topology: { config: { layers: StoredLayer[] } }): string[] {
  return topology.config.layers.map(
    (l) =>
      `${l.name} ${l.class_name} <- ${l.inbound_nodes
        .flat()
        .map((n) => n[0])
        .join(',')}`,
  );
}

const configs: ModelConfig[] = [
  { scale: 0.25, groups: 3, numClasses: 10, stem: 'cifar', inputSize: 16 },
  { scale: 0.5, groups: 1, numClasses: 4, stem: 'imagenet', inputSize: 33 },
  { scale: 0.25, groups: 8, numClasses: 3, stem: 'cifar', inputSize: 9 },
];

describe('describeShuffleNet', () => {
  it.each(configs)('lists every weight of the tfjs model, under its name and shape, in order (%o)', (config) => {
    const model = buildShuffleNetV1(config);
    const described = allLayers(describeShuffleNet(config)).flatMap(weightsOf);
    expect(model.weights.map((w) => `${w.originalName} [${w.shape}] ${w.trainable}`).sort()).toEqual(
      described.map((w) => `${w.name} [${w.shape}] ${w.trainable}`).sort(),
    );
    // Layer by layer the tfjs model holds them in the list's order too.
    expect(model.layers.flatMap((l) => l.weights.map((w) => w.originalName))).toEqual(described.map((w) => w.name));
    model.dispose();
  });

  it('names every tfjs layer of the model, zero-padding layers and merges included', () => {
    const config = configs[0];
    const net = describeShuffleNet(config);
    const names = [
      ...allLayers(net).flatMap((l) => (l.kind === 'avgPool' || (l.kind === 'depthwiseConv' && l.stride === 2) ? [l.padLayer, l.name] : [l.name])),
      ...net.units.map((u) => u.merge.name),
    ];
    const model = buildShuffleNetV1(config);
    expect(
      model.layers
        .map((l) => l.name)
        .filter((n) => n !== 'image')
        .sort(),
    ).toEqual(names.sort());
    model.dispose();
  });

  it('builds the shipped pretrained model: the same layers, wiring and weights manifest', () => {
    const stored = JSON.parse(readFileSync(path.join(PRETRAINED, 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: StoredLayer[] } };
      weightsManifest: { weights: { name: string; shape: number[] }[] }[];
    };
    const { model: config } = JSON.parse(readFileSync(path.join(PRETRAINED, 'manifest.json'), 'utf8')) as { model: ModelConfig };
    const model = buildShuffleNetV1(config);
    const built = model.toJSON(null, false) as unknown as { config: { layers: StoredLayer[] } };
    expect(wiring(built)).toEqual(wiring(stored.modelTopology));
    const manifest = stored.weightsManifest.flatMap((g) => g.weights).map((w) => `${w.name} [${w.shape}]`);
    expect(
      allLayers(describeShuffleNet(config))
        .flatMap(weightsOf)
        .map((w) => `${w.name} [${w.shape}]`)
        .sort(),
    ).toEqual([...manifest].sort());
    model.dispose();
  });

  it('gives each layer the spatial side its input has after the strides', () => {
    const net = describeShuffleNet({ scale: 0.5, groups: 3, numClasses: 10, stem: 'imagenet', inputSize: 57 });
    expect(net.stem.map((l) => l.size)).toEqual([29, 29, 29, 15]);
    expect(net.units.map((u) => u.relu.size)).toEqual([8, 8, 8, 8, 4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2]);
    expect(net.units[0].shortcut[0].channels + net.units[0].branch.at(-1)!.channels).toBe(net.units[0].plan.outChannels);
  });
});
