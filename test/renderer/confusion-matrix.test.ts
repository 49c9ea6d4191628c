import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ConfusionMatrix from '../../src-renderer/components/ConfusionMatrix.vue';

const classes = ['cat', 'dog', 'bird'];
const confusion = [
  [8, 2, 0],
  [1, 6, 3],
  [0, 0, 10],
];

describe('ConfusionMatrix', () => {
  it('renders N x N cells in row-major order with their counts', () => {
    const wrapper = mount(ConfusionMatrix, { props: { classes, confusion, normalized: false } });
    const cells = wrapper.findAll('[data-testid="cm-cell"]');
    expect(cells).toHaveLength(9);
    expect(cells.map((c) => c.attributes('data-value'))).toEqual(['8', '2', '0', '1', '6', '3', '0', '0', '10']);
    expect(cells[5].attributes('data-true')).toBe('1');
    expect(cells[5].attributes('data-pred')).toBe('2');
    expect(cells[5].text()).toBe('3');
    expect(cells[2].text()).toBe('');
  });

  it('emits the clicked cell as true and predicted class indices', async () => {
    const wrapper = mount(ConfusionMatrix, { props: { classes, confusion, normalized: false } });
    await wrapper.findAll('[data-testid="cm-cell"]')[3].trigger('click');
    expect(wrapper.emitted('select')).toEqual([[{ trueClass: 1, predictedClass: 0 }]]);
  });

  it('shows row percentages when normalised', () => {
    const wrapper = mount(ConfusionMatrix, { props: { classes, confusion, normalized: true } });
    const texts = wrapper.findAll('[data-testid="cm-cell"]').map((c) => c.text());
    expect(texts).toEqual(['80', '20', '', '10', '60', '30', '', '', '100']);
  });

  it('marks the selected cell', () => {
    const wrapper = mount(ConfusionMatrix, { props: { classes, confusion, normalized: false, selected: { trueClass: 2, predictedClass: 2 } } });
    const selected = wrapper.findAll('[data-testid="cm-cell"]').filter((c) => c.classes('selected'));
    expect(selected.map((c) => [c.attributes('data-true'), c.attributes('data-pred')])).toEqual([['2', '2']]);
  });
});
