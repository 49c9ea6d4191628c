import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import RunDetails from '../../src-renderer/components/RunDetails.vue';
import type { Run } from '../../src-renderer/api/types';
import { fakeServer, installStores, makeRun, mountOptions, type FakeServer } from './support';

let server: FakeServer;
afterEach(() => server?.close());

/** The run settings card's rows as label → value, as a person reads them. */
function rowsOf(run: Run): Map<string, string> {
  server = fakeServer({});
  const wrapper = mount(RunDetails, { props: { run }, ...mountOptions(server.client, installStores(server.client)) });
  const labels = wrapper.findAll('dt').map((dt) => dt.text());
  const values = wrapper.findAll('dd').map((dd) => dd.text());
  return new Map(labels.map((label, i) => [label, values[i]]));
}

describe('RunDetails known classes', () => {
  it('names the classes whose head rows start from the source model', () => {
    const rows = rowsOf(makeRun({ config: { init: 'pretrained' }, classes: ['Cats', 'dog', 'ship', 'teapot'], knownClasses: ['Cats', 'dog', 'ship'] }));
    expect(rows.get('Known classes')).toBe('Cats, dog, ship: head rows start from Pretrained (CIFAR-10)');
  });

  it('has no such row when the source knew none of them, or for a run made before the field', () => {
    expect(rowsOf(makeRun({ config: { init: 'pretrained' }, knownClasses: [] })).has('Known classes')).toBe(false);
    const old = rowsOf(makeRun({ config: { init: 'pretrained' } }));
    expect(old.has('Known classes')).toBe(false);
    expect(old.get('Started from')).toBe('Pretrained (CIFAR-10) · all layers fine-tuned');
  });
});

describe('RunDetails of a Quick fit', () => {
  it('shows no schedule or weight decay, which a fitted head never used', () => {
    const rows = rowsOf(makeRun({ config: { init: 'pretrained', linearProbe: true, batchSize: 128, lr: 0.05, weightDecay: 4e-5 } }));
    expect(rows.get('Schedule')).toBe('one fitted head, no epochs');
    expect(rows.get('Regularisation')).toBe('L2 chosen by cross-validation · no augmentation');
    expect(rowsOf(makeRun({ config: { init: 'pretrained', batchSize: 16, lr: 0.01 } })).get('Schedule')).toContain('batch 16 · lr 0.01');
  });
});

describe('RunDetails of a started run', () => {
  it('shows what it trained with (the resolved config), not only what it asked for', () => {
    const asked = { init: 'pretrained' as const, scale: 0.25 as const, epochs: 1 };
    const queued = rowsOf(makeRun({ config: asked, resolvedConfig: null }));
    expect(queued.get('Model')).toBe('ShuffleNetV1 0.25×');
    const started = rowsOf(makeRun({ config: asked, resolvedConfig: { ...asked, scale: 1, groups: 3, stem: 'cifar', inputSize: 32, seed: 0 } }));
    expect(started.get('Model')).toBe('ShuffleNetV1 1× · groups 3 · cifar stem · 32 px');
    expect(started.get('Data')).toBe('all images · seed 0');
  });
});
