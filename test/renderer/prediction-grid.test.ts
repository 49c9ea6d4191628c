import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import PredictionGrid from '../../src-renderer/components/PredictionGrid.vue';
import type { PredictItem } from '../../src-renderer/api/types';
import { filterPredictions, predictedLabels } from '../../src-renderer/lib/prediction-filter';
import { fakeServer, installStores, mountOptions, predicted, type FakeServer } from './support';

const items: PredictItem[] = [
  predicted(1, '/in/a.png', 'cat', 0.95),
  predicted(2, '/in/b.png', 'dog', 0.55),
  predicted(3, '/in/c.png', 'cat', 0.4),
  { id: 4, path: '/in/broken.jpg', skipped: 'not an image' },
  predicted(5, '/in/d.png', 'dog', 0.85),
];

let server: FakeServer;
afterEach(() => server?.close());

function mountGrid(filter: { label: string; minConfidence: number; sort: 'confidence-desc' | 'confidence-asc' | 'name' }) {
  server = fakeServer({});
  const pinia = installStores(server.client);
  return mount(PredictionGrid, { props: { items, filter }, ...mountOptions(server.client, pinia) });
}

const shown = (wrapper: ReturnType<typeof mountGrid>) =>
  wrapper.findAll('[data-testid="prediction-item"]').map((el) => [el.attributes('data-label'), Number(el.attributes('data-confidence'))]);

describe('PredictionGrid', () => {
  it('shows every predicted image (not the skipped one), most confident first', () => {
    const wrapper = mountGrid({ label: '', minConfidence: 0, sort: 'confidence-desc' });
    expect(shown(wrapper)).toEqual([
      ['cat', 0.95],
      ['dog', 0.85],
      ['dog', 0.55],
      ['cat', 0.4],
    ]);
    expect(wrapper.text()).toContain('95%');
  });

  it('filters by class', () => {
    const wrapper = mountGrid({ label: 'dog', minConfidence: 0, sort: 'confidence-desc' });
    expect(shown(wrapper)).toEqual([
      ['dog', 0.85],
      ['dog', 0.55],
    ]);
  });

  it('filters by minimum confidence and sorts least confident first', () => {
    const wrapper = mountGrid({ label: '', minConfidence: 0.5, sort: 'confidence-asc' });
    expect(shown(wrapper)).toEqual([
      ['dog', 0.55],
      ['dog', 0.85],
      ['cat', 0.95],
    ]);
  });

  it('says so when nothing matches', () => {
    const wrapper = mountGrid({ label: 'cat', minConfidence: 0.99, sort: 'name' });
    expect(shown(wrapper)).toEqual([]);
    expect(wrapper.text()).toContain('No predictions match the filters');
  });
});

describe('prediction filter helpers', () => {
  it('sorts by name and lists labels once', () => {
    expect(filterPredictions(items, { label: '', minConfidence: 0, sort: 'name' }).map((i) => i.path)).toEqual(['/in/a.png', '/in/b.png', '/in/c.png', '/in/d.png']);
    expect(predictedLabels(items)).toEqual(['cat', 'dog']);
  });
});
