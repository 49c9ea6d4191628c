import { z } from 'zod';
import { ONNX_DEVICES } from '../devices';

export const backendName = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);

export const backendInfoSchema = z.object({
  name: backendName,
  threads: z.number().int().min(0),
  simd: z.boolean().optional(),
  tfjsVersion: z.string().optional(),
  notLoaded: z.array(z.object({ name: backendName, reason: z.string() })),
  /** ONNX Runtime's version when it loads (it then trains, evaluates and predicts), else null. */
  onnxRuntime: z.string().nullable().optional(),
  /** ONNX Runtime's devices as `info --json` lists them, and the one jobs run on ('auto'). */
  devices: z.array(z.object({ name: z.enum(ONNX_DEVICES), available: z.boolean(), adapter: z.string(), software: z.boolean(), reason: z.string() })).optional(),
  device: z.enum(ONNX_DEVICES).optional(),
});
export type BackendInfoView = z.infer<typeof backendInfoSchema>;

export const appInfoSchema = z.object({
  version: z.string(),
  dataDir: z.string(),
  mode: z.enum(['electron', 'serve']),
  /** Null until the ML host has started once (see `app.backend`). */
  backend: backendInfoSchema.nullable(),
  capabilities: z.object({ nativeDialogs: z.boolean(), upload: z.boolean() }),
});
export type AppInfo = z.infer<typeof appInfoSchema>;
