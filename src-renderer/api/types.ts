/**
 * The renderer's names for the contract's types (src-main/contract). Type-only imports: the
 * renderer bundle carries no zod unless it validates something itself.
 */
import type { Payload } from '../../src-main/contract/events';
import type { PredictionItemView } from '../../src-main/contract/schemas/predict';

export type { ApiClient } from '../../src-main/contract/transport';
export type { EventName, Payload } from '../../src-main/contract/events';
export type { Input, MethodName, Output } from '../../src-main/contract/methods';
export type { AppInfo, BackendInfoView } from '../../src-main/contract/schemas/app';
export type { Dataset, DatasetClass, DatasetImage as ImageItem } from '../../src-main/contract/schemas/datasets';
export type { Evaluation, EvaluationSample } from '../../src-main/contract/schemas/evaluation';
export type { ExportCheckView, ExportedModelFile, ModelExport, ModelExportFormat } from '../../src-main/contract/schemas/model-export';
export type { BatchMetrics, EpochMetrics, Preset, Run, RunDetail, RunStatus } from '../../src-main/contract/schemas/runs';
export type { TrainConfigInput } from '../../src-main/contract/schemas/train-config';

export type PredictItem = PredictionItemView;
export type DownloadProgress = Payload<'datasets.downloadProgress'>;
