import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import LineChart from '../../src-renderer/components/LineChart.vue';

const spiky = [{ name: 'validation', color: 'red', markers: true, points: [1, 2, 3, 4, 5, 6].map((x) => ({ x, y: x === 3 ? 400 : 1 - x / 10 })) }];

function topTick(capOutliers: boolean): number {
  const chart = mount(LineChart, { props: { title: 'Loss', series: spiky, xMax: 6, capOutliers } });
  const ticks = chart.findAll('.grid text[text-anchor="end"]').map((t) => Number(t.text())).filter(Number.isFinite);
  return Math.max(...ticks);
}

describe('LineChart', () => {
  it('keeps a curve near 1 readable when one early point spikes to 400, if asked', () => {
    expect(topTick(false)).toBeGreaterThanOrEqual(400);
    expect(topTick(true)).toBeLessThan(5);
  });
});
