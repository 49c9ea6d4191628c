import { statfs } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';

/**
 * Folders that hold no images but endless or blocking pseudo-files: a scan that walked `/proc`
 * followed its symlinks back to `/` for minutes. `/dev/shm` is an ordinary tmpfs and stays allowed.
 */
const SYSTEM_PREFIXES = ['/proc', '/sys', '/dev'];
const ALLOWED_UNDER_SYSTEM = ['/dev/shm'];

/** Linux `statfs` magic numbers of pseudo file systems (linux/magic.h), for mounts elsewhere. */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
]);

/** True when `path` is `folder` or lies inside it (both resolved, absolute). */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function underPrefix(path: string, prefixes: readonly string[]): string | undefined {
  return prefixes.find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * The kind of system folder `realPath` is ("/proc", "sysfs", ...), or null for an ordinary one.
 * Checks the path first (no system call), then, unless `checkFileSystem` is false, the file
 * system type where the OS reports one (a walk asks only at mount points).
 */
export async function systemFolderKind(realPath: string, checkFileSystem = true): Promise<string | null> {
  if (process.platform === 'win32') return null;
  const prefix = underPrefix(realPath, SYSTEM_PREFIXES);
  if (prefix && !underPrefix(realPath, ALLOWED_UNDER_SYSTEM)) return prefix;
  if (process.platform !== 'linux' || !checkFileSystem) return null;
  const info = await statfs(realPath).catch(() => null);
  return (info && PSEUDO_FILESYSTEMS.get(Number(info.type))) ?? null;
}
