import { AbortedError } from '../errors';

/**
 * Runs `work` on every index below `count`, `concurrency` at a time (sharp decodes off the main
 * thread, so a few files in flight keep both cores busy). The first failure ends the run: no new
 * work starts and every started task is awaited before it is thrown.
 * @throws AbortedError when `signal` fires (checked before each task)
 */
export async function eachConcurrently(count: number, concurrency: number, work: (index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      if (signal?.aborted) throw new AbortedError();
      await work(next++);
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, count) }, () =>
      worker().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    ),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
