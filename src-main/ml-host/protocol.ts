/**
 * Messages between the app process and the ML host process. Plain JSON, so the same messages
 * travel over `child_process.fork` IPC and Electron's `utilityProcess` port.
 */
import type { BackendInfoView, TrainConfigInput, WireError } from '../contract';
import type {
  AuditReport,
  AuditStage,
  ExportCheck,
  EvaluationResult,
  PredictionItem,
  SkippedFile,
  TestTimeAugmentation,
  TrainConfig,
  TrainEvent,
} from '../engine/api/light';

export type TrainDone = Extract<TrainEvent, { type: 'done' }>;

/** A scanned dataset: CIFAR-10 labels per split, or every image of a folder with its class. */
export type ScanResult =
  | { format: 'cifar10-binary'; root: string; classes: string[]; labels: Record<string, number[]> }
  | {
      format: 'image-folder';
      root: string;
      classes: string[];
      /** `key` is the engine's sample id (path relative to the root); `label` -1 = unlabeled. */
      images: { key: string; path: string; label: number }[];
      skipped: SkippedFile[];
    };

/** A written export: the checkpoint it came from, its files and the check against the app's tfjs model. */
export interface ExportedModel {
  checkpoint: string;
  epoch: number;
  dir: string;
  files: { path: string; bytes: number }[];
  check: ExportCheck | { skipped: string } | null;
}

export type ProgressEvent = { type: 'progress'; done: number; total: number | null };
/** A folder scan while it looks for images, before decoding: entries seen, image files found. */
export type WalkEvent = { type: 'walk'; seen: number; found: number };

/** Each operation: its arguments, the events it streams, and its result. */
export interface Operations {
  initBackend: { args: { prefer?: BackendInfoView['name'] }; event: never; result: BackendInfoView };
  scanDataset: { args: { dir: string; storeSize?: number }; event: ProgressEvent | WalkEvent; result: ScanResult };
  /** `url` is for tests only; the app's service never sets it (the source is `cifarSourceUrl()`, issue 17 item 1e). */
  downloadCifar10: { args: { destDir: string; url?: string }; event: ProgressEvent; result: { folder: string } };
  train: {
    /** `init` as the engine takes it: 'scratch', 'pretrained' or a folder (the services turn a run id into its folder). */
    args: { config: Omit<TrainConfigInput, 'init'> & Pick<TrainConfig, 'dataset' | 'outDir' | 'init'>; resume: boolean };
    event: TrainEvent;
    result: TrainDone;
  };
  evaluate: {
    args: { run: string; dataset: string; split?: string; limit?: number; tta?: TestTimeAugmentation };
    event: ProgressEvent;
    result: EvaluationResult;
  };
  exportModel: {
    /** `out`: the `.onnx` file, or the folder for tfjs. `check`: compare the export with the app's tfjs model (ONNX: when ONNX Runtime loads). */
    args: { run: string; format: 'onnx' | 'tfjs'; out: string; check: boolean };
    event: never;
    result: ExportedModel;
  };
  predictFolder: {
    args: { run: string; folder: string; topK: number; tta?: TestTimeAugmentation };
    event: ProgressEvent | { type: 'item'; item: PredictionItem };
    result: { predicted: number; skipped: number };
  };
  /** The dataset audit of a class-folder tree (engine/audit/audit-folder.ts); `from` a run folder or 'pretrained'. */
  auditFolder: {
    args: { dir: string; from: string };
    event: { type: 'progress'; stage: AuditStage; done: number; total: number };
    result: AuditReport & { root: string; classes: string[] };
  };
  explainImage: { args: { run: string; path: string; classIndex?: number }; event: never; result: ExplainedImage };
  /** The same for named files, in order (the labeling view's suggestions). */
  predictFiles: {
    args: { run: string; paths: string[]; topK: number; tta?: TestTimeAugmentation };
    event: ProgressEvent | { type: 'item'; item: PredictionItem };
    result: { predicted: number; skipped: number };
  };
}

/** A Grad-CAM heatmap of one image with the class it explains (engine/explain/). */
export interface ExplainedImage {
  classIndex: number;
  className: string;
  probability: number;
  width: number;
  height: number;
  values: number[];
  /** How the picture became the model's square input: its centre square ('cover') or all of it stretched ('fill'). */
  fit: 'cover' | 'fill';
}

export type OpName = keyof Operations;

export type HostRequest = { type: 'call'; id: number; op: OpName; args: unknown } | { type: 'cancel'; id: number };

export type HostReply =
  { type: 'event'; id: number; event: unknown } | { type: 'result'; id: number; value: unknown } | { type: 'error'; id: number; error: WireError };
