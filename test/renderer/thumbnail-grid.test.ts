import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import ThumbnailGrid from '../../src-renderer/components/ThumbnailGrid.vue';
import { gridWindow } from '../../src-renderer/lib/virtual-range';

// happy-dom has no layout; give every element a 400 x 300 box so the grid has a viewport to fill.
const sizes = { clientWidth: 400, clientHeight: 300 };
const saved = new Map<string, PropertyDescriptor | undefined>();

beforeEach(() => {
  for (const [key, value] of Object.entries(sizes)) {
    saved.set(key, Object.getOwnPropertyDescriptor(HTMLElement.prototype, key));
    Object.defineProperty(HTMLElement.prototype, key, { configurable: true, get: () => value });
  }
});
afterEach(() => {
  for (const [key, descriptor] of saved) {
    if (descriptor) Object.defineProperty(HTMLElement.prototype, key, descriptor);
    else delete (HTMLElement.prototype as unknown as Record<string, unknown>)[key];
  }
});

const items = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, name: `img-${i}` }));

function mountGrid(list: readonly ({ id: number; name: string } | undefined)[]) {
  return mount(ThumbnailGrid, {
    props: { items: list, cellWidth: 100, cellHeight: 100, gap: 0, overscan: 1, itemKey: (item: { id: number }) => item.id },
    slots: { default: ({ item }: { item: { name: string } }) => h('span', { class: 'name' }, item.name) },
  });
}

describe('ThumbnailGrid', () => {
  it('renders only the rows in view plus the overscan', async () => {
    const wrapper = mountGrid(items);
    await wrapper.vm.$nextTick();
    // 4 columns; rows 0-2 visible, plus one row of overscan below.
    const names = wrapper.findAll('.name').map((n) => n.text());
    expect(names).toHaveLength(16);
    expect(names[0]).toBe('img-0');
    expect(names[15]).toBe('img-15');
    const spacer = wrapper.find('.spacer').element as HTMLElement;
    expect(spacer.style.height).toBe(`${250 * 100}px`);
  });

  it('moves the rendered window when scrolled and reports the range to load', async () => {
    const wrapper = mountGrid(items);
    await wrapper.vm.$nextTick();
    const viewport = wrapper.find('[data-testid="thumbnail-grid"]');
    (viewport.element as HTMLElement).scrollTop = 5000;
    await viewport.trigger('scroll');
    const names = wrapper.findAll('.name').map((n) => n.text());
    // Row 50 is at the top; one overscan row above (49) and below (53).
    expect(names[0]).toBe('img-196');
    expect(names).toHaveLength(20);
    const ranges = wrapper.emitted('range') as [number, number][];
    expect(ranges[ranges.length - 1]).toEqual([196, 216]);
  });

  it('scrollToTop goes back to the first row and renders it', async () => {
    const wrapper = mountGrid(items);
    await wrapper.vm.$nextTick();
    const viewport = wrapper.find('[data-testid="thumbnail-grid"]');
    (viewport.element as HTMLElement).scrollTop = 5000;
    await viewport.trigger('scroll');
    (wrapper.vm as unknown as { scrollToTop(): void }).scrollToTop();
    await wrapper.vm.$nextTick();
    expect((viewport.element as HTMLElement).scrollTop).toBe(0);
    expect(wrapper.findAll('.name')[0].text()).toBe('img-0');
  });

  it('renders as many rows as its measured height holds (the height comes from the layout, not a fixed box)', async () => {
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 800 });
    const wrapper = mountGrid(items);
    await wrapper.vm.$nextTick();
    // 8 rows of 100 px in view plus one overscan row, 4 columns.
    expect(wrapper.findAll('.name')).toHaveLength(36);
  });

  it('shows placeholders for items that are not loaded yet', async () => {
    const sparse: ({ id: number; name: string } | undefined)[] = new Array(40);
    sparse[0] = items[0];
    const wrapper = mountGrid(sparse);
    await wrapper.vm.$nextTick();
    expect(wrapper.findAll('.name')).toHaveLength(1);
    expect(wrapper.findAll('.placeholder')).toHaveLength(15);
  });

  it('renders the empty slot for an empty list', () => {
    const Host = defineComponent(
      () => () => h(ThumbnailGrid, { items: [] }, { default: () => null, empty: () => h('p', { class: 'nothing' }, 'Nothing here') }),
    );
    expect(mount(Host).find('.nothing').text()).toBe('Nothing here');
  });
});

describe('gridWindow', () => {
  it('clamps to the item count and never renders past the end', () => {
    const w = gridWindow({ viewportWidth: 400, viewportHeight: 300, scrollTop: 1e6, cellWidth: 100, cellHeight: 100, gap: 0, itemCount: 10, overscan: 2 });
    expect(w.columns).toBe(4);
    expect(w.totalRows).toBe(3);
    expect(w.end).toBe(10);
    expect(w.start).toBeLessThanOrEqual(w.end);
  });
});
