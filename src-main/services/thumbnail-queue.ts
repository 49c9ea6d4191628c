/**
 * Runs image jobs a few at a time, first come first served, and lets requests for the same key
 * share one job. sharp decodes on libuv's thread pool (4 threads by default), which also serves
 * every file read of the server: six big decodes at once filled it, and a plain `GET /` waited
 * 10 s behind them (issue 17, 1d). With two jobs at most, two threads stay free for the rest.
 */
export class JobQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly shared = new Map<string, { result: Promise<unknown>; wanted: Set<AbortSignal | null> }>();

  constructor(readonly limit: number) {}

  /**
   * Runs `job` when a slot is free; a second call with a key still in flight gets the first's result.
   * A job whose every caller's `signal` fired while it waited (a grid scrolled past, a tab closed)
   * never starts: it rejects with JobAbandoned and hands its slot on.
   */
  run<T>(key: string, job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const inFlight = this.shared.get(key);
    if (inFlight) {
      inFlight.wanted.add(signal ?? null);
      return inFlight.result as Promise<T>;
    }
    const wanted = new Set<AbortSignal | null>([signal ?? null]);
    const abandoned = () => [...wanted].every((s) => s?.aborted);
    const result = this.whenFree(job, abandoned).finally(() => this.shared.delete(key));
    this.shared.set(key, { result, wanted });
    return result;
  }

  /** Jobs started and not yet finished, and jobs waiting for a slot (for tests and logs). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private async whenFree<T>(job: () => Promise<T>, abandoned: () => boolean): Promise<T> {
    // A finished job hands its slot straight to the next in line, so no newcomer can slip in between.
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      if (abandoned()) throw new JobAbandoned();
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

/** A queued job nobody waited for any more; it was never started. */
export class JobAbandoned extends Error {
  constructor() {
    super('Nobody is waiting for this image any more');
    this.name = 'JobAbandoned';
  }
}
