export function percent(value: number | null | undefined, digits = 1): string {
  if (value == null || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(digits)}%`;
}

export function fixed(value: number | null | undefined, digits = 3): string {
  if (value == null || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

/** ONNX Runtime's device as people write it ('CUDA', 'WebGPU', 'CPU'): the top bar and the Device select name devices alike. */
export function deviceName(device: string): string {
  return ({ cuda: 'CUDA', webgpu: 'WebGPU', cpu: 'CPU' } as Record<string, string>)[device] ?? device;
}

/** "42s", "3m 05s", "1h 02m". */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function bytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 image", "60,000 images": every count the app shows in words goes through here. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${count(n)} ${n === 1 ? singular : plural}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** The last path segment, for showing a file without its folder. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A file's path inside `root` ("cat/4.png"), so two "4.png" of different classes tell apart; else its last segment. */
export function pathWithin(root: string, path: string): string {
  const prefix = root.replace(/[\\/]+$/, '');
  return path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}\\`) ? path.slice(prefix.length + 1) : baseName(path);
}

/** A test-time augmentation's short name ('none', 'flip', 'flip + 1-pixel shift'), the same in every place a result names it. */
export function ttaName(tta: string): string {
  if (tta === 'flip-shift') return 'flip + 1-pixel shift';
  return tta;
}

/** A test-time augmentation in words ('' for none), the same in every place a result names it. */
export function ttaLabel(tta: string | null | undefined): string {
  if (!tta || tta === 'none') return '';
  return `${ttaName(tta)} test-time augmentation`;
}
