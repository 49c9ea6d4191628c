import type { DroppedFile } from '../api/studio-client';

/** What a drop on the window carried: the top-level File objects and every file inside folders. */
export interface DropContents {
  topLevel: File[];
  files: DroppedFile[];
  /** True when at least one dropped item is a folder. */
  hasFolder: boolean;
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await entryFile(entry as FileSystemFileEntry);
    // Files picked from a folder input (or built by a test) carry their folder in webkitRelativePath.
    out.push({ file, relativePath: file.webkitRelativePath || entry.fullPath.replace(/^\//, '') });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most ~100 entries per call; an empty batch means the folder is done.
  for (;;) {
    const batch = await readEntries(reader);
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, out);
  }
}

/** Reads a drop's files and folders; must be called synchronously inside the drop handler. */
export async function readDrop(transfer: DataTransfer): Promise<DropContents> {
  const topLevel = Array.from(transfer.files);
  const entries = Array.from(transfer.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  const files: DroppedFile[] = [];
  let hasFolder = false;
  if (entries.length > 0 && entries.every((entry) => entry !== null)) {
    for (const entry of entries as FileSystemEntry[]) {
      if (entry.isDirectory) hasFolder = true;
      await walk(entry, files);
    }
  } else {
    for (const file of topLevel) files.push({ file, relativePath: file.webkitRelativePath || file.name });
  }
  return { topLevel, files, hasFolder };
}
