import { z } from 'zod';
import { appInfoSchema, backendInfoSchema } from './schemas/app';
import { empty, exportedFile, id, jobId, name, page, pathString, probability } from './schemas/common';
import { classSchema, datasetSchema, folderInspectionSchema, imageSchema } from './schemas/datasets';
import { checkpointKind, evaluationSampleSchema, evaluationSchema, testTimeAugmentation } from './schemas/evaluation';
import { modelExportFormat, modelExportSchema } from './schemas/model-export';
import { predictAcceptResultSchema, predictionItemSchema, predictUndoAcceptResultSchema } from './schemas/predict';
import { presetSchema, runDetailSchema, runSchema } from './schemas/runs';
import { auditSchema } from './schemas/audit';
import { explainTarget, heatmapSchema } from './schemas/explain';
import { imageOrder, suggestionsStatusSchema } from './schemas/suggestions';
import { trainConfigInputSchema } from './schemas/train-config';

/** `classId: null` lists unlabeled images; no `classId` lists all. */
const imageFilter = z.strictObject({ classId: id.nullable().optional(), split: z.string().optional() }).default({});

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

/**
 * Every request the app understands: name -> input and output schema. Transports look names up
 * here, so a method name never appears as a loose string in a channel.
 */
export const methods = {
  'app.info': method(empty, appInfoSchema),
  /** Starts the ML host if needed and reports the backend it chose. */
  'app.backend': method(empty, backendInfoSchema),

  'datasets.list': method(empty, z.array(datasetSchema)),
  'datasets.get': method(z.strictObject({ id }), datasetSchema),
  /** `scanId` (chosen by the client) names the scan in its progress events and in `datasets.cancelScan`. */
  'datasets.addFolder': method(z.strictObject({ path: pathString, name: name.optional(), scanId: jobId.optional() }), datasetSchema),
  /** Stops a running `datasets.addFolder` scan; that call then fails with `aborted`. */
  'datasets.cancelScan': method(z.strictObject({ scanId: jobId }), z.object({ cancelled: z.boolean() })),
  /**
   * Scans a folder dataset's folder again: new files come in with their folder's class, known files
   * keep their labels, files gone from the folder stay as skipped rows (nothing is lost).
   */
  'datasets.rescan': method(
    z.strictObject({ id, scanId: jobId.optional() }),
    z.object({ dataset: datasetSchema, added: z.number().int().min(0), changed: z.number().int().min(0), missing: z.number().int().min(0) }),
  ),
  /** A quick look at a folder's top level before adding it: class folders, loose images, a dataset already added from it. */
  'datasets.inspectFolder': method(z.strictObject({ path: pathString }), folderInspectionSchema),
  'datasets.addCifar10': method(z.strictObject({ path: pathString, name: name.optional() }), datasetSchema),
  // No URL from the client (a server-side request forgery): the official address, or the mirror
  // whoever runs the app set in SHUFFLENET_CIFAR_MIRROR (engine/data/download.ts).
  'datasets.downloadCifar10': method(empty, z.object({ jobId })),
  'datasets.remove': method(z.strictObject({ id }), z.object({})),
  'datasets.exportLabeled': method(z.strictObject({ id, destDir: pathString }), z.object({ written: z.number().int().min(0), destDir: z.string() })),

  'images.list': method(
    z.strictObject({
      datasetId: id,
      filter: imageFilter,
      /** `least-certain`: unlabeled images with the smallest suggestion margin first, the rest after in file order. */
      order: imageOrder.default('file'),
      ...page,
    }),
    z.object({ total: z.number().int().min(0), items: z.array(imageSchema) }),
  ),
  /** Every image id in a filter, for "select all" (labels.assign takes up to 100,000). */
  'images.ids': method(z.strictObject({ datasetId: id, filter: imageFilter }), z.object({ ids: z.array(id) })),
  /** Leaves images out of training (a likely label error the person does not want to decide on), or takes them back. */
  'images.setExcluded': method(
    z.strictObject({ imageIds: z.array(id).min(1).max(100_000), excluded: z.boolean() }),
    z.object({ updated: z.number().int().min(0) }),
  ),

  'classes.create': method(z.strictObject({ datasetId: id, name }), classSchema),
  'classes.rename': method(z.strictObject({ datasetId: id, classId: id, name }), classSchema),

  'labels.assign': method(
    z.strictObject({ imageIds: z.array(id).min(1).max(100_000), classId: id.nullable() }),
    z.object({ updated: z.number().int().min(0) }),
  ),

  /** Predicts every unlabeled image with a run (the dataset's newest by default) and stores its guess; progress in `suggestions.progress`. */
  'suggestions.start': method(z.strictObject({ datasetId: id, runId: id.optional() }), z.object({ jobId, total: z.number().int().min(0) })),
  'suggestions.cancel': method(z.strictObject({ jobId }), z.object({})),
  'suggestions.status': method(z.strictObject({ datasetId: id }), suggestionsStatusSchema),
  /** Labels every unlabeled image whose suggestion is at least `minConfidence` sure (of `classId` only, when given). */
  'suggestions.accept': method(
    z.strictObject({ datasetId: id, minConfidence: probability, classId: id.optional() }),
    z.object({ updated: z.number().int().min(0), acceptId: jobId.nullable() }),
  ),
  'suggestions.undoAccept': method(z.strictObject({ acceptId: jobId }), z.object({ restored: z.number().int().min(0) })),

  /** Checks a folder dataset's labeled images: likely label errors, duplicates, class balance; progress in `audit.progress`. */
  'audit.start': method(z.strictObject({ datasetId: id, runId: id.optional() }), z.object({ jobId })),
  'audit.cancel': method(z.strictObject({ jobId }), z.object({})),
  /** The dataset's last audit, or null when it has none. */
  'audit.get': method(z.strictObject({ datasetId: id }), auditSchema.nullable()),
  /** "This label is right": the image leaves the likely-errors list until the next audit. */
  'audit.keep': method(z.strictObject({ datasetId: id, imageId: id }), z.object({})),

  /** Grad-CAM of one image under a run's model (the newest of the image's dataset by default): where it looked for `classIndex`, else its top class. */
  'explain.image': method(z.strictObject({ kind: explainTarget, id, runId: id.optional(), classIndex: z.number().int().min(0).optional() }), heatmapSchema),

  'training.start': method(z.strictObject({ datasetId: id, config: trainConfigInputSchema.default({}), name: name.optional() }), runSchema),
  'training.stop': method(z.strictObject({ runId: id }), runSchema),
  'training.resume': method(z.strictObject({ runId: id }), runSchema),

  'runs.list': method(empty, z.array(runSchema)),
  'runs.get': method(z.strictObject({ id }), runDetailSchema),
  'runs.remove': method(z.strictObject({ id }), z.object({})),
  /**
   * Writes the run's newest checkpoint as an ONNX model (checked against TensorFlow.js) or a
   * TensorFlow.js folder: into `destDir` when given, else `exports/<format>/` in the run's folder,
   * whose files serve mode offers for download.
   */
  'runs.export': method(z.strictObject({ runId: id, format: modelExportFormat, destDir: pathString.optional() }), modelExportSchema),

  'presets.list': method(empty, z.array(presetSchema)),

  'evaluation.run': method(
    z.strictObject({
      runId: id,
      split: z.string().min(1).optional(),
      limit: z.number().int().positive().optional(),
      checkpoint: checkpointKind.optional(),
      /** Default 'none'. */
      tta: testTimeAugmentation.optional(),
    }),
    evaluationSchema,
  ),
  'evaluation.get': method(z.strictObject({ id }), evaluationSchema),
  'evaluation.listForRun': method(z.strictObject({ runId: id }), z.array(evaluationSchema)),
  'evaluation.samples': method(
    z.strictObject({
      evaluationId: id,
      trueClass: z.number().int().min(0),
      predictedClass: z.number().int().min(0),
      ...page,
    }),
    z.object({ total: z.number().int().min(0), items: z.array(evaluationSampleSchema) }),
  ),
  'evaluation.export': method(z.strictObject({ evaluationId: id, format: z.enum(['csv', 'json']) }), exportedFile),

  'predict.start': method(
    /** `tta` default 'none'. */
    z.strictObject({ runId: id, folder: pathString, tta: testTimeAugmentation.optional() }),
    /** `tta`: the test-time augmentation the job runs with. */
    z.object({ jobId, total: z.number().int().min(0).nullable(), tta: testTimeAugmentation.optional() }),
  ),
  'predict.cancel': method(z.strictObject({ jobId }), z.object({})),
  'predict.list': method(z.strictObject({ jobId }), z.object({ items: z.array(predictionItemSchema), done: z.boolean() })),
  'predict.accept': method(
    z.strictObject({
      jobId,
      datasetId: id,
      itemIds: z.array(id).optional(),
      minConfidence: probability.optional(),
    }),
    predictAcceptResultSchema,
  ),
  /** Takes back one `predict.accept`: the images it added are removed, those it labeled get their old label. */
  'predict.undoAccept': method(z.strictObject({ acceptId: jobId }), predictUndoAcceptResultSchema),
  'predict.exportCsv': method(z.strictObject({ jobId }), exportedFile),

  /** Electron only; serve mode answers `unavailable` (see `app.info` capabilities). */
  'dialogs.openFolder': method(z.strictObject({ title: z.string().optional() }), z.object({ path: z.string().nullable() })),
  /** Electron only: opens the system file manager with `path` selected. */
  'dialogs.showInFolder': method(z.strictObject({ path: pathString }), z.object({})),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What a caller passes (fields with defaults may be left out). */
export type Input<M extends MethodName> = z.input<Methods[M]['input']>;
/** What a handler receives, after validation and defaults. */
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type Output<M extends MethodName> = z.output<Methods[M]['output']>;

export const methodNames = Object.keys(methods) as MethodName[];

export function isMethodName(value: string): value is MethodName {
  return Object.hasOwn(methods, value);
}
