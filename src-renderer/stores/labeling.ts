import { defineStore } from 'pinia';
import { counted } from '../lib/format';
import { computed, ref, shallowRef } from 'vue';
import { useApiClient } from '../api/studio-client';
import type { ImageOrder } from '../../src-main/contract/schemas/suggestions';
import type { ImageItem } from '../api/types';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';
import { createPagedList } from './paged-list';

/** 'all', 'unlabeled', or a class id. */
export type LabelFilter = 'all' | 'unlabeled' | number;

export const useLabelingStore = defineStore('labeling', () => {
  const api = useApiClient();
  const app = useAppStore();
  const datasets = useDatasetsStore();
  const datasetId = ref<number | null>(null);
  const filter = ref<LabelFilter>('all');
  const order = ref<ImageOrder>('file');
  const cursor = ref(0);
  const selection = shallowRef<ReadonlySet<number>>(new Set());
  const anchor = ref(0);
  const saving = ref(false);
  /** Settles when the dataset being opened has its classes and first page: actions taken meanwhile wait for it. */
  let opening: Promise<void> = Promise.resolve();
  let openTicket = 0;

  const classFilter = () => (filter.value === 'all' ? {} : { classId: filter.value === 'unlabeled' ? null : filter.value });

  const images = createPagedList<ImageItem>(
    (offset, limit) => {
      if (datasetId.value === null) return Promise.resolve({ total: 0, items: [] });
      return api.invoke('images.list', { datasetId: datasetId.value, filter: classFilter(), order: order.value, offset, limit });
    },
    (err) => app.reportError(err, 'Could not load images'),
  );

  const dataset = computed(() => datasets.datasets.find((d) => d.id === datasetId.value) ?? null);
  const classes = computed(() => dataset.value?.classes ?? []);
  /** A dataset is chosen but its classes or first page of images have not arrived yet. */
  const loading = computed(() => datasetId.value !== null && (dataset.value === null || !images.loaded.value));
  /** Why classes cannot be created or renamed here, or null when they can. */
  const classesLocked = computed(() =>
    dataset.value?.kind === 'cifar10' ? `${dataset.value.name} is CIFAR-10: its ten classes are fixed. Label an image-folder dataset to add classes.` : null,
  );
  const current = computed(() => images.items.value[cursor.value] ?? null);
  const selectedIds = computed(() => {
    if (selection.value.size > 0) return [...selection.value];
    return current.value ? [current.value.id] : [];
  });

  /**
   * Shows another dataset. `datasetId` changes at once, so the class panel never shows the previous
   * dataset's classes while the new images load.
   */
  function open(id: number | null): Promise<void> {
    datasetId.value = id;
    const ticket = ++openTicket;
    opening = (async () => {
      if (id !== null && !datasets.datasets.some((d) => d.id === id)) await datasets.refresh(id);
      if (ticket === openTicket) await reload();
    })();
    return opening;
  }

  /** Waits for an open in progress; false (after saying why) when no dataset is chosen. */
  async function ready(action: string): Promise<boolean> {
    await opening;
    if (datasetId.value === null || dataset.value === null) {
      app.notify(`Choose a dataset before you ${action}.`, 'info');
      return false;
    }
    return true;
  }

  async function setFilter(next: LabelFilter) {
    filter.value = next;
    await reload();
  }

  async function setOrder(next: ImageOrder) {
    order.value = next;
    await reload();
  }

  /** Every image the filter shows, loaded or not: the next key labels them all. */
  async function selectAll() {
    if (datasetId.value === null) return;
    try {
      const { ids } = await api.invoke('images.ids', { datasetId: datasetId.value, filter: classFilter() });
      selection.value = new Set(ids);
    } catch (err) {
      app.reportError(err, 'Could not select the images');
    }
  }

  /** The current image takes the model's suggestion (and, alone, moves on); false when it has none. */
  async function acceptSuggestion(): Promise<boolean> {
    const suggestion = current.value?.suggestion;
    if (!suggestion || current.value?.classId !== null) return false;
    selection.value = new Set([current.value.id]);
    await assign(suggestion.classId);
    return true;
  }

  async function reload() {
    cursor.value = 0;
    anchor.value = 0;
    selection.value = new Set();
    if (datasetId.value === null) {
      images.clear();
      return;
    }
    const ticket = openTicket;
    await images.reset();
    if (ticket !== openTicket) return;
    const first = images.items.value[0];
    if (first) selection.value = new Set([first.id]);
    prefetchAround(0);
  }

  function prefetchAround(index: number) {
    const next = images.items.value[index + 1];
    if (next) new Image().src = api.mediaUrl(next.imageUrl);
  }

  /** Moves the cursor; the image under it becomes the selection. */
  async function moveTo(index: number) {
    const total = images.total.value;
    if (total === 0) return;
    const target = Math.min(total - 1, Math.max(0, index));
    await images.ensure(target, target + 2);
    cursor.value = target;
    anchor.value = target;
    const item = images.items.value[target];
    selection.value = new Set(item ? [item.id] : []);
    prefetchAround(target);
  }

  const next = () => moveTo(cursor.value + 1);
  const previous = () => moveTo(cursor.value - 1);

  /** Click: select one. Shift: select the range from the last click. Ctrl/Cmd: toggle one. */
  function click(index: number, modifiers: { shift?: boolean; toggle?: boolean } = {}) {
    const item = images.items.value[index];
    if (!item) return;
    if (modifiers.shift) {
      const [from, to] = anchor.value <= index ? [anchor.value, index] : [index, anchor.value];
      const ids = new Set<number>();
      for (let i = from; i <= to; i++) {
        const inRange = images.items.value[i];
        if (inRange) ids.add(inRange.id);
      }
      selection.value = ids;
    } else if (modifiers.toggle) {
      const ids = new Set(selection.value);
      if (ids.has(item.id)) ids.delete(item.id);
      else ids.add(item.id);
      selection.value = ids;
      anchor.value = index;
    } else {
      selection.value = new Set([item.id]);
      anchor.value = index;
    }
    cursor.value = index;
    prefetchAround(index);
  }

  /** Saves the label at once; with one image selected, moves on to the next like a flash card. */
  async function assign(classId: number | null) {
    if (loading.value) {
      app.notify(`Still loading the images of ${dataset.value?.name ?? 'this dataset'}; label them once they show.`, 'info');
      return;
    }
    const ids = selectedIds.value;
    if (ids.length === 0 || datasetId.value === null) return;
    saving.value = true;
    try {
      await api.invoke('labels.assign', { imageIds: ids, classId });
      const changed = new Set(ids);
      images.patch(
        (item) => changed.has(item.id),
        (item) => ({ ...item, classId }),
      );
      await datasets.refresh(datasetId.value);
      if (ids.length === 1) await next();
    } catch (err) {
      app.reportError(err, 'Could not save the label');
    } finally {
      saving.value = false;
    }
  }

  /** The class at 1-based position `n` in the order shown (the view maps keys to it: 1-9, then 0 for the 10th). */
  async function assignByNumber(n: number) {
    const target = classes.value[n - 1];
    if (!target) {
      if (loading.value) app.notify('The classes are still loading; press the key again in a moment.', 'info');
      else app.notify(`There is no class ${n} yet. Create it first.`, 'info');
      return;
    }
    await assign(target.id);
  }

  /** Waits for a dataset being opened, so a class typed meanwhile lands in the dataset on screen. */
  async function createClass(name: string) {
    const trimmed = name.trim();
    if (!trimmed) return null;
    if (!(await ready('add a class'))) return null;
    if (classesLocked.value) {
      app.reportError(new Error(classesLocked.value));
      return null;
    }
    const target = datasetId.value as number;
    try {
      const created = await api.invoke('classes.create', { datasetId: target, name: trimmed });
      await datasets.refresh(target);
      return created;
    } catch (err) {
      app.reportError(err, 'Could not create the class');
      return null;
    }
  }

  async function renameClass(classId: number, name: string) {
    const trimmed = name.trim();
    if (!trimmed || !(await ready('rename a class')) || datasetId.value === null) return;
    try {
      await api.invoke('classes.rename', { datasetId: datasetId.value, classId, name: trimmed });
      await datasets.refresh(datasetId.value);
    } catch (err) {
      app.reportError(err, 'Could not rename the class');
    }
  }

  async function exportLabeled(destDir: string) {
    if (datasetId.value === null) return;
    if (!destDir.trim()) {
      app.reportError(new Error('Choose a destination folder first.'));
      return;
    }
    try {
      const result = await api.invoke('datasets.exportLabeled', { id: datasetId.value, destDir: destDir.trim() });
      app.notify(`Exported ${counted(result.written, 'labeled image')} to ${result.destDir}.`, 'success');
    } catch (err) {
      app.reportError(err, 'Could not export the labeled dataset');
    }
  }

  return {
    datasetId,
    filter,
    order,
    cursor,
    selection,
    saving,
    images,
    dataset,
    classes,
    loading,
    classesLocked,
    current,
    selectedIds,
    open,
    setFilter,
    setOrder,
    selectAll,
    acceptSuggestion,
    reload,
    moveTo,
    next,
    previous,
    click,
    assign,
    assignByNumber,
    createClass,
    renameClass,
    exportLabeled,
  };
});
