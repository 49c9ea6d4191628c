/**
 * Per-kernel CPU time for benchmarks. Wraps every kernel registered for the current backend
 * (through the public kernel registry) with a process.cpuUsage() reading, runs `f`, and restores
 * the original kernels. CPU time rather than wall time, because on a shared machine the wall
 * clock mostly measures the other processes. Kernels that call other kernels' functions directly
 * (as the project's wasm kernels do) are counted once, under their own name.
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  name: string;
  cpuMs: number;
  calls: number;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Runs `f` with every kernel of the active backend timed; returns times sorted, largest first. */
export function timeKernels(f: () => void): KernelTime[] {
  const backendName = tf.getBackend();
  const originals = tf.getKernelsForBackend(backendName);
  const totals = new Map<string, KernelTime>();
  let depth = 0;
  for (const config of originals) {
    const entry: KernelTime = { name: config.kernelName, cpuMs: 0, calls: 0 };
    totals.set(config.kernelName, entry);
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        // Only the outermost kernel is timed (a composite kernel run through the engine would
        // otherwise count its inner kernels twice).
        if (depth > 0) return config.kernelFunc(args);
        depth++;
        const start = cpuMicros();
        try {
          return config.kernelFunc(args);
        } finally {
          entry.cpuMs += (cpuMicros() - start) / 1000;
          entry.calls++;
          depth--;
        }
      },
    });
  }
  try {
    f();
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  }
  return [...totals.values()].filter((t) => t.calls > 0).sort((a, b) => b.cpuMs - a.cpuMs);
}
