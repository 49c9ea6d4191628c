/** Device choice without a GPU: the Vulkan drivers and loader as the loader would find them, and bad --device values. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedDevice } from '../../../src-main/engine/runtime/devices';
import { missingVulkanLoader, vulkanDrivers } from '../../../src-main/engine/runtime/vulkan-drivers';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shufflenet-vulkan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function icd(name: string, library: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
  return file;
}

describe.skipIf(process.platform !== 'linux')('Vulkan drivers (Linux)', () => {
  it('names each driver a manifest points at and tells software ones apart', async () => {
    const files = [
      await icd('nvidia_icd.json', 'libGLX_nvidia.so.0'),
      await icd('lvp_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so'),
      await icd('swift.json', './libvk_swiftshader.so'),
      await icd('odd.json', 'libvulkan_someone.so'),
    ];
    expect(vulkanDrivers({ VK_ICD_FILENAMES: files.join(':') }).map(({ name, software }) => ({ name, software }))).toEqual([
      { name: 'NVIDIA', software: false },
      { name: 'llvmpipe (Mesa lavapipe)', software: true },
      { name: 'SwiftShader', software: true },
      { name: 'libvulkan_someone.so', software: false },
    ]);
    // VK_DRIVER_FILES (the newer name) wins; a folder lists its .json files.
    expect(vulkanDrivers({ VK_DRIVER_FILES: dir, VK_ICD_FILENAMES: files[0] }).map((d) => d.name)).toHaveLength(4);
  });

  it('finds the loader on LD_LIBRARY_PATH', async () => {
    await writeFile(path.join(dir, 'libvulkan.so.1'), '');
    expect(missingVulkanLoader({ LD_LIBRARY_PATH: dir })).toBeNull();
  });
});

describe('requestedDevice', () => {
  it('takes the option, then SHUFFLENET_DEVICE, then auto, and names a wrong value', () => {
    const saved = process.env.SHUFFLENET_DEVICE;
    try {
      delete process.env.SHUFFLENET_DEVICE;
      expect(requestedDevice()).toBe('auto');
      process.env.SHUFFLENET_DEVICE = 'webgpu';
      expect(requestedDevice()).toBe('webgpu');
      expect(requestedDevice('cpu')).toBe('cpu');
      process.env.SHUFFLENET_DEVICE = 'gpu';
      expect(() => requestedDevice()).toThrow('device must be one of auto, cuda, webgpu, cpu, got "gpu"');
    } finally {
      if (saved === undefined) delete process.env.SHUFFLENET_DEVICE;
      else process.env.SHUFFLENET_DEVICE = saved;
    }
  });
});
