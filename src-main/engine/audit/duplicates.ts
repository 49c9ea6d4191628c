/**
 * Exact and near-duplicate images, grouped with union-find: two images are linked when their
 * bytes are identical (SHA-256), or when their perceptual hashes differ in at most NEAR_DISTANCE
 * bits and their colour thumbnails correlate at MIN_CORRELATION or more; a group is every image
 * reachable through such links.
 */
import { AbortedError } from '../errors';
import { hammingDistance, type PerceptualHash } from './perceptual-hash';
import { thumbnailCorrelation } from './thumbnail-correlation';

/**
 * Measured on the CIFAR-10 test images, the hardest case (32x32 originals): copies saved as JPEG
 * quality 30, scaled 2x up or 2x down stay within 12 bits and correlate at 0.93 or more; 302
 * same-class pairs of distinct test images come within 12 bits (ships on water, planes on sky), and
 * the correlation keeps 26 of them, 2 of those looked at being different pictures. The hash alone
 * groups such look-alikes; the correlation alone misses halved copies. Numbers: docs/results.md
 * (npm run bench:audit).
 */
export const NEAR_DISTANCE = 12;
export const MIN_CORRELATION = 0.92;

/** How `findDuplicates` decides, in words, for reports. */
export const DUPLICATE_METHOD = `exact: identical file bytes (SHA-256); near: a 64-bit DCT perceptual hash of a 32x32 greyscale copy within ${NEAR_DISTANCE} bits, confirmed by a correlation of at least ${MIN_CORRELATION} between 16x16 colour thumbnails`;

export type DuplicateScope = 'within-class' | 'across-classes' | 'train-validation' | 'unlabeled';

export interface DuplicateGroup {
  paths: string[];
  /** 'exact' when every file has the same bytes, else 'near'. */
  kind: 'exact' | 'near';
  /**
   * 'train-validation': a training image and one of another split (validation accuracy counts an
   * image the model trained on); 'across-classes': the same picture under two labels; 'unlabeled':
   * an unlabeled image with a copy; 'within-class': copies under one label (extra weight only).
   */
  scope: DuplicateScope;
}

export interface HashedImage {
  path: string;
  label: number | null;
  split?: string;
  sha256: string;
  hash: PerceptualHash;
  thumbnail: Float32Array;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) i = this.parent[i] = this.parent[this.parent[i]];
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The lower index stays the root, so a group is named by its first image.
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function scopeOf(members: readonly HashedImage[]): DuplicateScope {
  const labeled = members.filter((m) => m.label !== null);
  const splits = new Set(labeled.map((m) => m.split).filter((s) => s !== undefined));
  if (splits.has('train') && splits.size > 1) return 'train-validation';
  if (new Set(labeled.map((m) => m.label)).size > 1) return 'across-classes';
  if (labeled.length < members.length) return 'unlabeled';
  return 'within-class';
}

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Groups of two or more images that are copies of each other, in the order of their first image;
 * paths within a group in input order. Compares every pair of perceptual hashes (about 50 million
 * for 10,000 images, a fraction of a second).
 * @throws AbortedError when `signal` fires (checked every few hundred rows)
 */
export async function findDuplicates(images: readonly HashedImage[], signal?: AbortSignal): Promise<DuplicateGroup[]> {
  const n = images.length;
  const sets = new UnionFind(n);
  const bySha = new Map<string, number>();
  images.forEach((image, i) => {
    const first = bySha.get(image.sha256);
    if (first === undefined) bySha.set(image.sha256, i);
    else sets.union(first, i);
  });
  for (let i = 0; i < n; i++) {
    if (i % 256 === 0) {
      await breathe();
      if (signal?.aborted) throw new AbortedError();
    }
    for (let j = i + 1; j < n; j++) {
      if (hammingDistance(images[i].hash, images[j].hash) > NEAR_DISTANCE) continue;
      if (thumbnailCorrelation(images[i].thumbnail, images[j].thumbnail) >= MIN_CORRELATION) sets.union(i, j);
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    const members = groups.get(root) ?? [];
    members.push(i);
    groups.set(root, members);
  }
  return [...groups.values()]
    .filter((members) => members.length > 1)
    .sort((a, b) => a[0] - b[0])
    .map((members) => {
      const list = members.map((i) => images[i]);
      return {
        paths: list.map((m) => m.path),
        kind: list.every((m) => m.sha256 === list[0].sha256) ? 'exact' : 'near',
        scope: scopeOf(list),
      };
    });
}
