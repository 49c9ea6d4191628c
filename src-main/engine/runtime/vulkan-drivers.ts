/**
 * What the Vulkan loader will find on Linux, read from the same places it reads: the loader
 * library (libvulkan.so.1) and the driver manifests (ICD JSON files). ONNX Runtime's WebGPU
 * provider (Dawn) reports no adapter name, so the driver a manifest names is how the app tells a
 * GPU from a software rasteriser (SwiftShader, Mesa's lavapipe) before it opens a session.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface VulkanDriver {
  /** The manifest file. */
  file: string;
  /** For people: e.g. "NVIDIA", "SwiftShader". */
  name: string;
  /** A CPU implementation of Vulkan: correct, but no faster than the CPU provider. */
  software: boolean;
}

/** Driver library name (as in a manifest's library_path) -> what it is. Unknown ones keep their file name. */
const KNOWN_DRIVERS: { pattern: RegExp; name: string; software: boolean }[] = [
  { pattern: /vk_swiftshader/, name: 'SwiftShader', software: true },
  { pattern: /vulkan_lvp/, name: 'llvmpipe (Mesa lavapipe)', software: true },
  { pattern: /nvidia/i, name: 'NVIDIA', software: false },
  { pattern: /vulkan_radeon/, name: 'AMD (Mesa RADV)', software: false },
  { pattern: /amdvlk/i, name: 'AMD (AMDVLK)', software: false },
  { pattern: /vulkan_intel/, name: 'Intel (Mesa ANV)', software: false },
  { pattern: /vulkan_asahi/, name: 'Apple (Mesa Asahi)', software: false },
  { pattern: /vulkan_freedreno/, name: 'Qualcomm Adreno (Mesa Turnip)', software: false },
  { pattern: /vulkan_panfrost/, name: 'Arm Mali (Mesa PanVK)', software: false },
  { pattern: /vulkan_broadcom/, name: 'Broadcom (Mesa V3DV)', software: false },
  { pattern: /vulkan_virtio/, name: 'virtio-gpu (Mesa Venus)', software: false },
  { pattern: /vulkan_dzn/, name: 'Microsoft Dozen (D3D12)', software: false },
];

/** Where the loader looks for manifests when VK_DRIVER_FILES / VK_ICD_FILENAMES are not set. */
function defaultManifestDirs(env: NodeJS.ProcessEnv): string[] {
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local/share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  return [...configDirs, '/etc', dataHome, ...dataDirs].filter(Boolean).map((d) => path.join(d, 'vulkan', 'icd.d'));
}

function manifestFiles(env: NodeJS.ProcessEnv): string[] {
  const forced = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const entries = forced ? forced.split(':').filter(Boolean) : defaultManifestDirs(env);
  const files: string[] = [];
  for (const entry of entries) {
    try {
      if (statSync(entry).isDirectory()) {
        for (const name of readdirSync(entry).sort()) if (name.endsWith('.json')) files.push(path.join(entry, name));
      } else {
        files.push(entry);
      }
    } catch {
      // Not there: the loader skips it too.
    }
  }
  return files;
}

function describeDriver(file: string): VulkanDriver {
  let library = path.basename(file);
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } };
    library = manifest.ICD?.library_path ?? library;
  } catch {
    // An unreadable manifest: named after its file.
  }
  const known = KNOWN_DRIVERS.find((d) => d.pattern.test(library));
  return { file, name: known?.name ?? path.basename(library), software: known?.software ?? false };
}

/** The Vulkan drivers the loader would load here (Linux; empty elsewhere). */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): VulkanDriver[] {
  return process.platform === 'linux' ? manifestFiles(env).map(describeDriver) : [];
}

const LOADER = 'libvulkan.so.1';

/** The folders searched for the Vulkan loader: LD_LIBRARY_PATH, then the usual system ones. */
function libraryDirs(env: NodeJS.ProcessEnv): string[] {
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const system = [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];
  return [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...system];
}

/** Why the Vulkan loader cannot be found (Linux), or null when it is there or the OS has no Vulkan loader to find. */
export function missingVulkanLoader(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null;
  if (libraryDirs(env).some((dir) => existsSync(path.join(dir, LOADER)))) return null;
  return `the Vulkan loader ${LOADER} is not installed (Debian/Ubuntu: apt install libvulkan1)`;
}
