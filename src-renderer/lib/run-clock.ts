import { onUnmounted, ref } from 'vue';
import type { Run } from '../api/types';

/**
 * Durations that keep counting while a run trains. A run's stored `durationSec` changes once per
 * epoch (and when it stops), so a running 1.0x CIFAR-10 run would show the same value for nine
 * minutes at a time, and "0s" through its whole first epoch. The returned function gives the stored
 * value for a run that is not running, and for a running one counts on from when this view first
 * saw its stored value. Never from `startedAt`: a run resumed days after it failed in its first
 * epoch still stores 0, and would count the days. A page opened in the middle of an epoch counts
 * that epoch from its opening until the epoch ends and the stored value catches up.
 */
export function useRunClock(): (run: Run) => number {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), 1000);
  onUnmounted(() => clearInterval(timer));
  /** Per run: the stored duration last seen and when it was first seen (ms). */
  const marks = new Map<number, { durationSec: number; since: number }>();
  return (run) => {
    if (run.status !== 'running') return run.durationSec;
    let mark = marks.get(run.id);
    if (!mark || mark.durationSec !== run.durationSec) {
      mark = { durationSec: run.durationSec, since: Date.now() };
      marks.set(run.id, mark);
    }
    return run.durationSec + Math.max(0, (now.value - mark.since) / 1000);
  };
}
