import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { toApiError } from '../api/api-error';
import type { ConnectionState } from '../api/studio-client';
import { useApiClient } from '../api/studio-client';
import type { AppInfo } from '../api/types';

export type ViewName = 'datasets' | 'labeling' | 'training' | 'evaluation' | 'prediction';
export const VIEWS: ViewName[] = ['datasets', 'labeling', 'training', 'evaluation', 'prediction'];

export interface Toast {
  id: number;
  kind: 'error' | 'success' | 'info';
  message: string;
  code?: string;
  /** How many times this message came in a row (one failing thumbnail per tile would otherwise stack a column). */
  repeats: number;
}

const TOAST_MS = { error: 8_000, success: 4_000, info: 5_000 };
/** Toasts sit over the grids: three at most, the oldest goes first. */
const MAX_TOASTS = 3;

export const useAppStore = defineStore('app', () => {
  const api = useApiClient();
  const info = ref<AppInfo | null>(null);
  const infoError = ref<string | null>(null);
  const connection = ref<ConnectionState>('connecting');
  const view = ref<ViewName>('datasets');
  const toasts = ref<Toast[]>([]);
  let nextToastId = 1;
  let stopWatching: (() => void) | null = null;

  const backendWarnings = computed(() => info.value?.backend?.notLoaded ?? []);
  const nativeDialogs = computed(() => info.value?.capabilities.nativeDialogs ?? false);
  const canUpload = computed(() => info.value?.capabilities.upload ?? false);

  const timers = new Map<number, ReturnType<typeof setTimeout>>();

  function closeLater(id: number, kind: Toast['kind']) {
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => dismiss(id), TOAST_MS[kind]),
    );
  }

  function notify(message: string, kind: Toast['kind'] = 'info', code?: string) {
    const same = toasts.value.find((t) => t.message === message && t.kind === kind);
    if (same) {
      toasts.value = toasts.value.map((t) => (t === same ? { ...t, repeats: t.repeats + 1 } : t));
      closeLater(same.id, kind);
      return same.id;
    }
    const toast: Toast = { id: nextToastId++, kind, message, code, repeats: 1 };
    const kept = [...toasts.value, toast];
    for (const old of kept.slice(0, Math.max(0, kept.length - MAX_TOASTS))) clearTimeout(timers.get(old.id));
    toasts.value = kept.slice(-MAX_TOASTS);
    closeLater(toast.id, kind);
    return toast.id;
  }

  /** Shows any failure in the window; returns the message so callers can keep it for a banner. */
  function reportError(err: unknown, context?: string): string {
    const apiError = toApiError(err);
    const message = context ? `${context}: ${apiError.message}` : apiError.message;
    notify(message, 'error', apiError.code);
    return message;
  }

  function dismiss(id: number) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    toasts.value = toasts.value.filter((toast) => toast.id !== id);
  }

  /** A backend learned (loadBackend) before app info arrived, so that answer cannot blank it out. */
  let learnedBackend: AppInfo['backend'] = null;

  async function loadInfo() {
    try {
      const answer = await api.invoke('app.info', {});
      info.value = { ...answer, backend: answer.backend ?? learnedBackend };
      infoError.value = null;
    } catch (err) {
      infoError.value = reportError(err, 'Could not reach the ShuffleNet Studio backend');
    }
  }

  /**
   * Asks for the ML host's backend and devices when they are not known yet (app.backend starts the
   * ML host, which training needs anyway): the Training form lists the devices it can pick from.
   * A failure leaves the backend unknown; the first job reports its own error.
   */
  async function loadBackend() {
    if (info.value?.backend) return;
    try {
      const backend = await api.invoke('app.backend', {});
      learnedBackend = backend;
      if (info.value) info.value = { ...info.value, backend };
    } catch {
      // Not fatal: the form then shows no Device select, and training picks 'auto'.
    }
  }

  /**
   * Follows the connection (reloading app info whenever it comes back) and backend changes, which
   * arrive once the ML host has started.
   */
  function watch() {
    unwatch();
    const offConnection = api.onConnection((state) => {
      const reconnected = state === 'open' && connection.value === 'closed';
      connection.value = state;
      if (reconnected) void loadInfo();
    });
    const offBackend = api.subscribe('app.backend', ({ backend }) => {
      if (info.value) info.value = { ...info.value, backend };
    });
    stopWatching = () => {
      offConnection();
      offBackend();
    };
  }

  function unwatch() {
    stopWatching?.();
    stopWatching = null;
  }

  /** Asks for a folder with the native dialog; null when cancelled or unavailable. */
  async function pickFolder(title: string): Promise<string | null> {
    try {
      return (await api.invoke('dialogs.openFolder', { title })).path;
    } catch (err) {
      reportError(err, 'Could not open the folder dialog');
      return null;
    }
  }

  /** Thumbnail and image addresses as this transport can load them (serve mode adds the token). */
  function mediaUrl(url: string): string {
    return api.mediaUrl(url);
  }

  function show(name: ViewName) {
    view.value = name;
  }

  return {
    info,
    infoError,
    connection,
    view,
    toasts,
    backendWarnings,
    nativeDialogs,
    canUpload,
    notify,
    reportError,
    dismiss,
    loadInfo,
    loadBackend,
    watch,
    unwatch,
    pickFolder,
    mediaUrl,
    show,
  };
});
