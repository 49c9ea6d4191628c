import { ApiError, type DatasetImage, type Handlers } from '../contract';
import type { DatasetRow, ImageRow, ListedImageRow } from '../storage';
import { cifarDisplayPath } from './cifar-record';
import { notFound, requireDataset, type ServiceContext } from './context';

type LabelingHandlers = Pick<Handlers, 'images.list' | 'images.ids' | 'images.setExcluded' | 'classes.create' | 'classes.rename' | 'labels.assign'>;

/** CIFAR-10 trains from its binary files, so labels edited in the app would never reach the model. */
function requireEditable(dataset: DatasetRow): void {
  if (dataset.kind === 'cifar10') {
    throw new ApiError('user-error', `${dataset.name} is CIFAR-10: its classes and labels are fixed. Label an image-folder dataset instead`);
  }
}

export function imageView(context: ServiceContext, row: ImageRow | ListedImageRow): DatasetImage {
  const suggested = 'suggestedClassId' in row && row.suggestedClassId !== null ? row : null;
  return {
    id: row.id,
    datasetId: row.datasetId,
    path: row.recordIndex === null ? row.path : cifarDisplayPath(row.path, row.recordIndex),
    classId: row.classId,
    ...(row.split === null ? {} : { split: row.split }),
    thumbUrl: context.media.url('thumb', 'image', row.id),
    imageUrl: context.media.url('image', 'image', row.id),
    ...(suggested
      ? {
          suggestion: {
            classId: suggested.suggestedClassId as number,
            confidence: suggested.suggestedConfidence as number,
            margin: suggested.suggestedMargin as number,
          },
        }
      : {}),
    ...(row.excluded ? { excluded: true } : {}),
  };
}

/** Classes, labels and the image grid. Every label change is written at once, in a transaction. */
export function labelingHandlers(context: ServiceContext): LabelingHandlers {
  const { storage, events } = context;

  const requireClass = (datasetId: number, classId: number) => {
    const found = storage.images.getClass(classId);
    if (!found || found.datasetId !== datasetId) throw notFound(`Class ${classId} of dataset`, datasetId);
    return found;
  };

  const requireFreeName = (datasetId: number, name: string, except?: number) => {
    const clash = storage.images.classByName(datasetId, name);
    if (clash && clash.id !== except) throw new ApiError('conflict', `There is already a class named "${name}"`);
  };

  /** The one dataset a selection of images belongs to. */
  const datasetOfSelection = (imageIds: readonly number[]): number => {
    const datasets = storage.images.datasetsOf(imageIds);
    if (datasets.length === 0) throw notFound('Image', imageIds[0]);
    if (datasets.length > 1) throw new ApiError('invalid-input', 'The selected images belong to different datasets');
    return datasets[0];
  };

  return {
    'images.list': ({ datasetId, filter, order, offset, limit }) => {
      requireDataset(context, datasetId);
      const { total, rows } = storage.images.list(datasetId, filter, offset, limit, order);
      return { total, items: rows.map((row) => imageView(context, row)) };
    },

    'images.ids': ({ datasetId, filter }) => {
      requireDataset(context, datasetId);
      return { ids: storage.images.ids(datasetId, filter) };
    },

    'images.setExcluded': ({ imageIds, excluded }) => {
      const datasetId = datasetOfSelection(imageIds);
      const updated = storage.images.setExcluded(imageIds, excluded, datasetId);
      events.emit('datasets.changed', { datasetId });
      return { updated };
    },

    'classes.create': ({ datasetId, name }) => {
      requireEditable(requireDataset(context, datasetId));
      requireFreeName(datasetId, name);
      const created = storage.images.createClass(datasetId, name);
      events.emit('datasets.changed', { datasetId });
      return { id: created.id, name: created.name, count: created.count };
    },

    'classes.rename': ({ datasetId, classId, name }) => {
      requireEditable(requireDataset(context, datasetId));
      requireClass(datasetId, classId);
      requireFreeName(datasetId, name, classId);
      const renamed = storage.images.renameClass(classId, name);
      if (!renamed) throw notFound('Class', classId);
      events.emit('datasets.changed', { datasetId });
      return { id: renamed.id, name: renamed.name, count: renamed.count };
    },

    'labels.assign': ({ imageIds, classId }) => {
      const datasetId = datasetOfSelection(imageIds);
      requireEditable(requireDataset(context, datasetId));
      if (classId !== null) requireClass(datasetId, classId);
      const updated = storage.images.assign(imageIds, classId, datasetId);
      events.emit('datasets.changed', { datasetId });
      return { updated };
    },
  };
}
