/**
 * ONNX Runtime's devices are listed once (contract/devices.ts): the training config's schema,
 * `app.backend`'s device list and the engine's option check take that list, and no other file of
 * the app writes the three names out again.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, sourceFiles } from './source-files';
import { backendInfoSchema } from '../../src-main/contract/schemas/app';
import { trainConfigSchema } from '../../src-main/contract/schemas/train-config';
import { DEVICE_CHOICES, ONNX_DEVICES } from '../../src-main/contract/devices';
import { requestedDevice } from '../../src-main/engine/runtime/devices';

const HOME = 'src-main/contract/devices.ts';

/** The orders three items can be written in. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('devices', () => {
  it('the schemas and the engine’s option check take the one list', () => {
    expect(trainConfigSchema.shape.device.unwrap().options).toEqual([...DEVICE_CHOICES]);
    expect(backendInfoSchema.shape.device.unwrap().options).toEqual([...ONNX_DEVICES]);
    for (const device of DEVICE_CHOICES) expect(requestedDevice(device)).toBe(device);
    expect(() => requestedDevice('gpu')).toThrow('device must be one of auto, cuda, webgpu, cpu, got "gpu"');
  });

  it('no other source file lists them again (a union type or an array of the three names, in any order)', () => {
    // Three quoted names in a row, joined by commas or bars: how a z.enum, an array or a type would write them.
    const written = orders(ONNX_DEVICES).map((names) => new RegExp(names.map((name) => `['"]${name}['"]`).join(String.raw`\s*[,|]\s*`)));
    const copies = [...sourceFiles(join(root, 'src-main')), ...sourceFiles(join(root, 'src-renderer'))]
      .map((file) => relative(root, file))
      .filter((file) => file !== HOME && written.some((pattern) => pattern.test(readFileSync(join(root, file), 'utf8'))));
    expect(copies).toEqual([]);
  });
});
