import { describe, expect, it } from 'vitest';
import { JobAbandoned, JobQueue } from '../../src-main/services/thumbnail-queue';

/** A job that records how many jobs run beside it, and ends when `release` is called. */
function gatedJobs() {
  let running = 0;
  let most = 0;
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const job = (name: string) => async () => {
    running += 1;
    most = Math.max(most, running);
    order.push(name);
    await new Promise<void>((resolve) => gates.push(resolve));
    running -= 1;
    return name;
  };
  const releaseAll = async () => {
    while (gates.length > 0 || running > 0) {
      gates.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  return { job, order, releaseAll, most: () => most };
}

describe('JobQueue (thumbnails off the thread pool)', () => {
  it('runs at most `limit` jobs at once, first come first served, and every job finishes', async () => {
    const queue = new JobQueue(2);
    const { job, order, releaseAll, most } = gatedJobs();
    const results = Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => queue.run(name, job(name))));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(queue.load).toEqual({ running: 2, waiting: 4 });
    await releaseAll();
    expect(await results).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(most()).toBe(2);
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });

  it('lets requests for one key share a job, and frees the slot of a job that fails', async () => {
    const queue = new JobQueue(1);
    let runs = 0;
    const slow = () => new Promise<number>((resolve) => setTimeout(() => resolve(++runs), 10));
    const [first, second] = await Promise.all([queue.run('same', slow), queue.run('same', slow)]);
    expect([first, second, runs]).toEqual([1, 1, 1]);
    await expect(queue.run('bad', () => Promise.reject(new Error('cannot decode')))).rejects.toThrow('cannot decode');
    expect(await queue.run('after', async () => 'ran')).toBe('ran');
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });

  it('drops a waiting job whose every caller went away, and still runs one that someone waits for', async () => {
    const queue = new JobQueue(1);
    const { job, order, releaseAll } = gatedJobs();
    const first = queue.run('first', job('first'));
    const leaving = new AbortController();
    const staying = new AbortController();
    // Its outcome is taken at once: a rejection nobody has heard of yet would count as unhandled.
    const dropped = queue.run('scrolled-past', job('scrolled-past'), leaving.signal).then(
      () => 'ran',
      (error: unknown) => error,
    );
    const shared = queue.run('shared', job('shared'), leaving.signal);
    const sharedToo = queue.run('shared', job('shared'), staying.signal);
    leaving.abort();
    await releaseAll();
    expect(await first).toBe('first');
    expect(await dropped).toBeInstanceOf(JobAbandoned);
    // One caller of the shared key still waits: the job runs, and both get its result.
    expect(await Promise.all([shared, sharedToo])).toEqual(['shared', 'shared']);
    expect(order).toEqual(['first', 'shared']);
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });
});
