/**
 * Images per second over the last few seconds, not since the epoch began: the first steps of an
 * epoch (or of a resumed run) are slow while caches and kernels warm up, and a whole-epoch mean
 * keeps showing that slowness long after it ended (issue 17: "resume is slower").
 */
export class RecentRate {
  private readonly samples: { time: number; count: number }[] = [];

  /** @param windowMs how far back the rate looks */
  constructor(private readonly windowMs = 10_000) {}

  /** Records that `count` images in all had been seen at `timeMs`; returns the rate over the window. */
  add(timeMs: number, count: number): number {
    this.samples.push({ time: timeMs, count });
    // Keep the newest sample older than the window as the baseline, so the window is always full.
    while (this.samples.length > 2 && timeMs - this.samples[1].time >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    return (count - first.count) / Math.max(1e-9, (timeMs - first.time) / 1000);
  }
}
