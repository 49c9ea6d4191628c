import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import TrainingProgress from '../../src-renderer/components/TrainingProgress.vue';
import { makeRun } from './support';

afterEach(() => {
  vi.useRealTimers();
});

describe('the run duration in the Training view', () => {
  it('counts on every second while a run trains, and shows the stored value once it stops', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-29T03:00:10.000Z') });
    // Resumed long after it failed in its first epoch: the stored duration is still 0.
    const run = makeRun({ id: 3, status: 'running', startedAt: '2026-11-27T03:00:00.000Z', durationSec: 0 });
    const wrapper = mount(TrainingProgress, { props: { run, progress: null } });
    const shown = () => wrapper.get('[data-testid="run-duration"]').text();
    // Counted from when the view saw it running, not from two days ago.
    expect(shown()).toBe('0s');
    await vi.advanceTimersByTimeAsync(5000);
    expect(shown()).toBe('5s');
    // An epoch ends: the stored duration takes over, and the clock counts on from it.
    await wrapper.setProps({ run: { ...run, durationSec: 300 } });
    expect(shown()).toBe('5m 00s');
    await vi.advanceTimersByTimeAsync(2000);
    expect(shown()).toBe('5m 02s');
    await wrapper.setProps({ run: { ...run, status: 'stopped', durationSec: 303 } });
    await vi.advanceTimersByTimeAsync(5000);
    expect(shown()).toBe('5m 03s');
    wrapper.unmount();
  });
});
