import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AbortedError, UserError } from '../errors';
import type { DatasetSplit, LoadedDataset } from '../types';

/** A CIFAR-10 image is 32 x 32 pixels. */
export const CIFAR_SIDE = 32;
const PIXELS = CIFAR_SIDE * CIFAR_SIDE;
/** One record: a label byte, then the red, green and blue planes (1024 bytes each): 3,073 bytes. */
export const CIFAR_RECORD_BYTES = 1 + 3 * PIXELS;
export const CIFAR_RECORDS_PER_FILE = 10_000;
export const CIFAR_FILE_BYTES = CIFAR_RECORD_BYTES * CIFAR_RECORDS_PER_FILE;
export const CIFAR_FOLDER_NAME = 'cifar-10-batches-bin';
export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILE = 'test_batch.bin';
export const CIFAR_META_FILE = 'batches.meta.txt';
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const MAX_RUN_RECORDS = 1024;
const LABEL_CHUNK_RECORDS = 1000;

export interface CifarOptions {
  /** Default true: every .bin file must hold exactly 10,000 records. False accepts any whole number of records (small fixtures). */
  strictSizes?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

const isDir = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * The folder holding the CIFAR-10 .bin files: `dir` itself, or its `cifar-10-batches-bin`
 * child. Null when neither looks like CIFAR-10 (no batch file, no such child).
 */
export async function findCifarFolder(dir: string): Promise<string | null> {
  for (const name of [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE]) {
    if (await exists(join(dir, name))) return dir;
  }
  const child = join(dir, CIFAR_FOLDER_NAME);
  return (await isDir(child)) ? child : null;
}

interface BatchFile {
  path: string;
  records: number;
  /** Index of the file's first record within its split. */
  first: number;
}

async function checkSize(path: string, strict: boolean): Promise<number> {
  const size = await stat(path).then(
    (s) => s.size,
    () => {
      throw new UserError(
        `CIFAR-10 file missing: ${path} (expected ${CIFAR_TRAIN_FILES[0]} ... ${CIFAR_TRAIN_FILES[4]} and ${CIFAR_TEST_FILE})`,
        'dataset-invalid',
      );
    },
  );
  if (strict && size !== CIFAR_FILE_BYTES) {
    const hint = size < CIFAR_FILE_BYTES ? ' (truncated or incomplete download?)' : '';
    throw new UserError(
      `${path}: expected ${CIFAR_FILE_BYTES.toLocaleString('en-US')} bytes (10,000 records of 3,073 bytes), found ${size.toLocaleString('en-US')}${hint}`,
      'dataset-invalid',
    );
  }
  if (size === 0 || size % CIFAR_RECORD_BYTES !== 0) {
    throw new UserError(`${path}: ${size.toLocaleString('en-US')} bytes is not a whole number of 3,073-byte CIFAR-10 records`, 'dataset-invalid');
  }
  return size / CIFAR_RECORD_BYTES;
}

/** Reads every record's label byte, checking it is 0..9, without keeping the pixels. */
async function readLabels(file: BatchFile, into: Int32Array, progress: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const handle = await open(file.path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(LABEL_CHUNK_RECORDS * CIFAR_RECORD_BYTES);
    for (let start = 0; start < file.records; start += LABEL_CHUNK_RECORDS) {
      if (signal?.aborted) throw new AbortedError();
      const count = Math.min(LABEL_CHUNK_RECORDS, file.records - start);
      const length = count * CIFAR_RECORD_BYTES;
      const { bytesRead } = await handle.read(chunk, 0, length, start * CIFAR_RECORD_BYTES);
      if (bytesRead !== length) throw new UserError(`${file.path}: file ended early while reading record ${start}`, 'dataset-invalid');
      for (let r = 0; r < count; r++) {
        const label = chunk[r * CIFAR_RECORD_BYTES];
        if (label > 9) {
          throw new UserError(
            `${file.path}: record ${start + r} has label ${label}; CIFAR-10 labels are 0..9 (not a CIFAR-10 binary batch?)`,
            'dataset-invalid',
          );
        }
        into[file.first + start + r] = label;
      }
      progress(count);
    }
  } finally {
    await handle.close();
  }
}

async function readClassNames(folder: string): Promise<string[]> {
  const path = join(folder, CIFAR_META_FILE);
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return [...CIFAR10_CLASSES];
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length !== 10) throw new UserError(`${path}: expected 10 class names, one per line, found ${names.length}`, 'dataset-invalid');
  return names;
}

/** Planar CHW record pixels (1024 R, 1024 G, 1024 B) to interleaved HWC RGB. */
export function planarToHwc(src: Buffer, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
  for (let p = 0; p < PIXELS; p++) {
    const d = dstOffset + p * 3;
    dst[d] = src[srcOffset + p];
    dst[d + 1] = src[srcOffset + PIXELS + p];
    dst[d + 2] = src[srcOffset + 2 * PIXELS + p];
  }
}

/**
 * Where sample `"<split>:<index>"` of a full CIFAR-10 folder lives: its batch file and the record's
 * index in it (training records fill data_batch_1..5.bin, 10,000 each, in order).
 */
export function cifarRecordLocation(folder: string, split: string, index: number): { path: string; recordIndex: number } {
  if (split === 'test') return { path: join(folder, CIFAR_TEST_FILE), recordIndex: index };
  const file = CIFAR_TRAIN_FILES[Math.floor(index / CIFAR_RECORDS_PER_FILE)];
  return { path: join(folder, file), recordIndex: index % CIFAR_RECORDS_PER_FILE };
}

/** Reads one record of a batch file as interleaved RGB `[32, 32, 3]` (the same conversion as a split's readPixels). */
export async function readCifarRecordRgb(path: string, recordIndex: number): Promise<Buffer> {
  const record = Buffer.alloc(CIFAR_RECORD_BYTES);
  const file = await open(path, 'r');
  try {
    const { bytesRead } = await file.read(record, 0, CIFAR_RECORD_BYTES, recordIndex * CIFAR_RECORD_BYTES);
    if (bytesRead !== CIFAR_RECORD_BYTES) throw new UserError(`${path} has no record ${recordIndex}`, 'dataset-invalid');
  } finally {
    await file.close();
  }
  const rgb = Buffer.alloc(3 * PIXELS);
  planarToHwc(record, 1, rgb, 0);
  return rgb;
}

function cifarSplit(name: string, files: BatchFile[], labels: Int32Array): DatasetSplit {
  const count = labels.length;
  const fileOf = (index: number) => files.findLast((f) => f.first <= index) as BatchFile;
  return {
    count,
    labels,
    id: (index) => `${name}:${index}`,
    async readPixels(indices) {
      const out = new Uint8Array(indices.length * PIXELS * 3);
      // Consecutive indices in one file are read with one call (evaluation reads in order).
      const runs: { file: BatchFile; start: number; length: number; at: number }[] = [];
      for (let k = 0; k < indices.length;) {
        const index = indices[k];
        if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`${name} index ${index} out of range 0..${count - 1}`);
        const file = fileOf(index);
        let length = 1;
        while (
          k + length < indices.length &&
          length < MAX_RUN_RECORDS &&
          indices[k + length] === index + length &&
          index + length < file.first + file.records
        ) {
          length++;
        }
        runs.push({ file, start: index - file.first, length, at: k });
        k += length;
      }
      const handles = new Map<string, Promise<FileHandle>>();
      const handleFor = (path: string) => {
        if (!handles.has(path)) handles.set(path, open(path, 'r'));
        return handles.get(path) as Promise<FileHandle>;
      };
      try {
        await Promise.all(
          runs.map(async (run) => {
            const handle = await handleFor(run.file.path);
            const bytes = run.length * CIFAR_RECORD_BYTES;
            const buf = Buffer.allocUnsafe(bytes);
            const { bytesRead } = await handle.read(buf, 0, bytes, run.start * CIFAR_RECORD_BYTES);
            if (bytesRead !== bytes) throw new UserError(`${run.file.path}: file changed or was truncated while reading`, 'dataset-invalid');
            for (let r = 0; r < run.length; r++) {
              planarToHwc(buf, r * CIFAR_RECORD_BYTES + 1, out, (run.at + r) * PIXELS * 3);
            }
          }),
        );
      } finally {
        await Promise.all(
          [...handles.values()].map((h) =>
            h.then(
              (fh) => fh.close(),
              () => undefined,
            ),
          ),
        );
      }
      return out;
    },
  };
}

/**
 * Opens a CIFAR-10 binary folder (`data_batch_1..5.bin`, `test_batch.bin`, optional
 * `batches.meta.txt`): checks every file's size and every label, keeps only the labels in memory,
 * and reads pixels from disk on demand.
 * Splits: `train` (50,000) and `test` (10,000); ids `"train:<i>"` / `"test:<i>"`; storeSize 32.
 * @throws UserError naming the missing, wrong-size or corrupt file and what was expected.
 */
export async function loadCifar10(folder: string, options: CifarOptions = {}): Promise<LoadedDataset> {
  const strict = options.strictSizes ?? true;
  const classes = await readClassNames(folder);
  const describe = async (names: string[]): Promise<BatchFile[]> => {
    const files: BatchFile[] = [];
    let first = 0;
    for (const name of names) {
      const path = join(folder, name);
      const records = await checkSize(path, strict);
      files.push({ path, records, first });
      first += records;
    }
    return files;
  };
  const trainFiles = await describe(CIFAR_TRAIN_FILES);
  const testFiles = await describe([CIFAR_TEST_FILE]);
  const total = [...trainFiles, ...testFiles].reduce((n, f) => n + f.records, 0);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };
  const labelsOf = async (files: BatchFile[]) => {
    const last = files[files.length - 1];
    const labels = new Int32Array(last.first + last.records);
    for (const file of files) await readLabels(file, labels, progress, options.signal);
    return labels;
  };
  const trainLabels = await labelsOf(trainFiles);
  const testLabels = await labelsOf(testFiles);
  return {
    format: 'cifar10-binary',
    root: folder,
    classes,
    storeSize: CIFAR_SIDE,
    splits: { train: cifarSplit('train', trainFiles, trainLabels), test: cifarSplit('test', testFiles, testLabels) },
    skipped: [],
  };
}
