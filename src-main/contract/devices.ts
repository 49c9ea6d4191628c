/**
 * ONNX Runtime's devices, listed once (engine/runtime/devices.ts probes and picks them): 'auto'
 * takes the best available, the others name one. The training config's schema, `app.backend`'s
 * device list, the engine's types and option check, the CLI's `--device` and the training form
 * all read this list; like test-time-augmentation.ts it imports nothing (no zod either), so the
 * engine can load it without the contract's schemas.
 */
export const ONNX_DEVICES = ['cuda', 'webgpu', 'cpu'] as const;
export type OnnxDevice = (typeof ONNX_DEVICES)[number];

/** The devices that are a GPU: training there runs one session instead of the CPU replicas. */
export type GpuDevice = Exclude<OnnxDevice, 'cpu'>;

/** What a job may ask for: 'auto' first, then the devices in the order 'auto' tries them. */
export const DEVICE_CHOICES = ['auto', ...ONNX_DEVICES] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];
