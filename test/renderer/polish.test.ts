import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import MetricCards from '../../src-renderer/components/MetricCards.vue';
import { counted } from '../../src-renderer/lib/format';
import { useAppStore } from '../../src-renderer/stores/app';
import { fakeServer, installStores, makeEvaluation, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

describe('toasts', () => {
  it('fold a repeated message into one toast and keep at most three', () => {
    server = fakeServer({});
    installStores(server.client);
    const app = useAppStore();
    for (let i = 0; i < 6; i++) app.notify('Cannot decode a.bmp', 'error');
    expect(app.toasts).toHaveLength(1);
    expect(app.toasts[0].repeats).toBe(6);
    for (const n of [1, 2, 3, 4]) app.notify(`message ${n}`);
    expect(app.toasts.map((t) => t.message)).toEqual(['message 2', 'message 3', 'message 4']);
  });
});

describe('counts in words', () => {
  it('say "1 image" and "60,000 images"', () => {
    expect(counted(1, 'image')).toBe('1 image');
    expect(counted(60000, 'image')).toBe('60,000 images');
    expect(counted(2, 'class', 'classes')).toBe('2 classes');
  });
});

describe('MetricCards', () => {
  it('leave out top-5 where a model has five classes or fewer', () => {
    const three = mount(MetricCards, { props: { evaluation: makeEvaluation({ classes: ['a', 'b', 'c'] }) } });
    expect(three.find('[data-testid="metric-top5"]').exists()).toBe(false);
    const ten = mount(MetricCards, { props: { evaluation: makeEvaluation({ classes: 'abcdefghij'.split('') }) } });
    expect(ten.find('[data-testid="metric-top5"]').exists()).toBe(true);
  });
});
