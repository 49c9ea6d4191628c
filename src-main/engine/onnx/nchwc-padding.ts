/**
 * Zero channels added to a ShuffleNet unit's bottleneck so ONNX Runtime can run its grouped 1x1
 * convolutions in the blocked NCHWc layout. ONNX Runtime (MLAS) takes a grouped conv to NCHWc
 * only when every group's input and output channels are whole blocks (16 floats on AVX-512, 8 on
 * AVX2); otherwise it runs them as slower NCHW per-group GEMMs with layout conversions around.
 * 2.0x groups 3 has 40 bottleneck channels per group in stage 2: on AVX-512, padded to 48, its
 * convolutions qualify, at 20% more multiply-adds in that stage and a faster kernel for all.
 * The block depends on the CPU, so only the in-memory model of the app's own runtime is padded
 * (for this machine's block); an exported file has no padding.
 *
 * The padding is exact. Padded pw1 outputs have zero weights and bias, so they are 0 after the
 * ReLU; the channel shuffle moves them like any channel; the depthwise conv keeps them 0 (zero
 * weights and bias); pw2 gives them zero weights. The real channels are placed so that after the
 * shuffle each lands in the same pw2 group as in the unpadded network (the order inside a pw1
 * group and inside a pw2 group is free: it only permutes weights).
 */
import type { UnitPlan } from '../model/arch';

/** Padding that costs more multiply-adds than this is not worth the faster kernel. */
const MAX_GROWTH = 1.25;

export interface BottleneckPadding {
  /** Bottleneck channels per group after padding (`groups * groupWidth` in all). */
  groupWidth: number;
  /** Padded pw1 output channel of each real pw1 output channel (`b * n + a`, n = mid / groups). */
  pw1Channel: Int32Array;
  /** Padded post-shuffle position of each real post-shuffle position (`a * groups + b`). */
  shuffledChannel: Int32Array;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The padded layout of `u`'s bottleneck for NCHWc blocks of `block` channels, or null when it
 * needs none (block 1: no blocked layout), when pw1 or pw2 would stay outside NCHWc anyway, or
 * when padding would grow the bottleneck by more than 25%.
 */
export function bottleneckPadding(u: UnitPlan, block: number): BottleneckPadding | null {
  const g = u.groups;
  const n = u.midChannels / g;
  if (block <= 1 || g === 1 || n % block === 0) return null;
  const step = (block * g) / gcd(block, g);
  const width = Math.ceil(n / step) * step;
  if (width > n * MAX_GROWTH) return null;
  const pw1In = u.inChannels / u.firstGroups;
  const pw1Ok = u.firstGroups === 1 ? u.inChannels < block || u.inChannels % block === 0 : pw1In % block === 0;
  if (!pw1Ok || (u.branchChannels / g) % block !== 0) return null;

  const pw1Channel = new Int32Array(u.midChannels);
  const shuffledChannel = new Int32Array(u.midChannels);
  const perBlock = width / g;
  // taken[b * g + k]: real channels of pw1 group b already placed in pw2 group k.
  const taken = new Int32Array(g * g);
  for (let b = 0; b < g; b++) {
    for (let a = 0; a < n; a++) {
      const j = a * g + b;
      const k = Math.floor(j / n);
      const padded = k * perBlock + taken[b * g + k]++;
      pw1Channel[b * n + a] = b * width + padded;
      shuffledChannel[j] = padded * g + b;
    }
  }
  return { groupWidth: width, pw1Channel, shuffledChannel };
}

/**
 * Spreads the rows (output channels) of an OIHW weight, or of a bias when `perRow` is 1, to
 * their padded positions; the new rows are zero.
 */
export function padRows(data: Float32Array, perRow: number, rowOf: Int32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * perRow);
  for (let r = 0; r < rowOf.length; r++) out.set(data.subarray(r * perRow, (r + 1) * perRow), rowOf[r] * perRow);
  return out;
}

/**
 * pw2's folded weight `[cout, n, 1, 1]` (grouped: input `i` of output group `k` is post-shuffle
 * channel `k * n + i`) widened to `[cout, groupWidth, 1, 1]` with each input at its padded place.
 */
export function padPw2Inputs(weight: Float32Array, cout: number, groups: number, p: BottleneckPadding): Float32Array {
  const n = weight.length / cout;
  const width = p.groupWidth;
  const outPerGroup = cout / groups;
  const out = new Float32Array(cout * width);
  for (let o = 0; o < cout; o++) {
    const k = Math.floor(o / outPerGroup);
    for (let i = 0; i < n; i++) out[o * width + p.shuffledChannel[k * n + i] - k * width] = weight[o * n + i];
  }
  return out;
}
