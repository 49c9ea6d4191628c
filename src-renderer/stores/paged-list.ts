import type { Ref, ShallowRef } from 'vue';
import { ref, shallowRef } from 'vue';

export interface Page<T> {
  total: number;
  items: T[];
}

/**
 * A long server-side list loaded page by page as a grid scrolls. `items` has `total` slots;
 * slots not fetched yet are undefined. Responses from before a reset are dropped.
 */
export interface PagedList<T> {
  items: ShallowRef<(T | undefined)[]>;
  total: Ref<number>;
  loaded: Ref<boolean>;
  ensure(start: number, end: number): Promise<void>;
  reset(): Promise<void>;
  clear(): void;
  /** Changes loaded items (for example after labels.assign) and re-renders once. */
  patch(match: (item: T) => boolean, change: (item: T) => T): void;
}

export function createPagedList<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  onError: (err: unknown) => void,
  pageSize = 120,
): PagedList<T> {
  const items = shallowRef<(T | undefined)[]>([]);
  const total = ref(0);
  const loaded = ref(false);
  let generation = 0;
  let requested = new Set<number>();

  async function loadPage(page: number, gen: number) {
    requested.add(page);
    try {
      const result = await fetchPage(page * pageSize, pageSize);
      if (gen !== generation) return;
      // A new array on every change: grids receive it as a prop, and Vue compares props by identity.
      const next = resize(items.value, result.total);
      result.items.forEach((item, i) => {
        next[page * pageSize + i] = item;
      });
      total.value = result.total;
      items.value = next;
      loaded.value = true;
    } catch (err) {
      if (gen !== generation) return;
      requested.delete(page);
      onError(err);
    }
  }

  function resize(list: (T | undefined)[], length: number) {
    const next = list.slice(0, length);
    next.length = length;
    return next;
  }

  async function ensure(start: number, end: number) {
    const gen = generation;
    const first = Math.floor(Math.max(0, start) / pageSize);
    const last = Math.floor(Math.max(start, end - 1) / pageSize);
    const loads: Promise<void>[] = [];
    for (let page = first; page <= last; page++) {
      if (!requested.has(page) && (page === 0 || page * pageSize < total.value)) loads.push(loadPage(page, gen));
    }
    await Promise.all(loads);
  }

  function clear() {
    generation++;
    requested = new Set();
    items.value = [];
    total.value = 0;
    loaded.value = false;
  }

  async function reset() {
    clear();
    await ensure(0, pageSize);
  }

  function patch(match: (item: T) => boolean, change: (item: T) => T) {
    const next = items.value.slice();
    let changed = false;
    next.forEach((item, i) => {
      if (item !== undefined && match(item)) {
        next[i] = change(item);
        changed = true;
      }
    });
    if (changed) items.value = next;
  }

  return { items, total, loaded, ensure, reset, clear, patch };
}
