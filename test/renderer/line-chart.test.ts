import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AccuracyChart from '../../src-renderer/components/AccuracyChart.vue';
import LineChart from '../../src-renderer/components/LineChart.vue';
import LossChart from '../../src-renderer/components/LossChart.vue';

const spiky = [{ name: 'validation', color: 'red', markers: true, points: [1, 2, 3, 4, 5, 6].map((x) => ({ x, y: x === 3 ? 400 : 1 - x / 10 })) }];

function topTick(capOutliers: boolean): number {
  const chart = mount(LineChart, { props: { title: 'Loss', series: spiky, xMax: 6, capOutliers } });
  const ticks = chart
    .findAll('.grid text[text-anchor="end"]')
    .map((t) => Number(t.text()))
    .filter(Number.isFinite);
  return Math.max(...ticks);
}

describe('LineChart', () => {
  it('keeps a curve near 1 readable when one early point spikes to 400, if asked', () => {
    expect(topTick(false)).toBeGreaterThanOrEqual(400);
    expect(topTick(true)).toBeLessThan(5);
  });
});

describe('LineChart axis labels', () => {
  it('tells every y tick apart when the range is narrow', () => {
    const flat = [{ name: 'loss', color: 'red', points: [1, 2, 3, 4].map((x) => ({ x, y: 1.1 + x * 0.004 })) }];
    const chart = mount(LineChart, { props: { title: 'Loss', series: flat, xMax: 4 } });
    const labels = chart.findAll('.grid text[text-anchor="end"]').map((t) => t.text());
    expect(labels.length).toBeGreaterThan(2);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('gives no two legend entries one colour in the loss and accuracy charts', () => {
    const batches = [{ x: 0.5, loss: 2, accuracy: 0.3, lr: 0.1 }];
    const epochs = [{ epoch: 1, epochs: 2, trainLoss: 1.9, valLoss: 2, trainAccuracy: 0.3, valAccuracy: 0.3, valTop5: 1, lr: 0.1, elapsedSec: 1, etaSec: 1 }];
    const props = { batches, epochs, totalEpochs: 2 };
    for (const wrapper of [mount(LossChart, { props }), mount(AccuracyChart, { props })]) {
      const colours = wrapper.findAll('.legend .swatch').map((s) => s.attributes('style'));
      expect(colours.length).toBe(3);
      expect(new Set(colours).size).toBe(colours.length);
    }
  });
});
