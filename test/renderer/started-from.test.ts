import { describe, expect, it } from 'vitest';
import { startedFrom } from '../../src-renderer/lib/started-from';

const runs = [{ id: 4, name: 'Pets first try' }];

describe('startedFrom', () => {
  it('names the source and how it was tuned', () => {
    expect(startedFrom({}, runs)).toEqual({ source: 'Scratch', tuning: null });
    expect(startedFrom({ init: 'pretrained', linearProbe: true }, runs)).toEqual({ source: 'Pretrained (CIFAR-10)', tuning: 'quick fit: new head only' });
    expect(startedFrom({ init: 4, headOnlyEpochs: 2, backboneLrScale: 0.1 }, runs)).toEqual({
      source: 'Run “Pets first try”',
      tuning: 'head only for 2 epochs, backbone at 0.1× the rate',
    });
    expect(startedFrom({ init: 9 }, runs)).toEqual({ source: 'Run “#9”', tuning: 'all layers fine-tuned' });
  });
});
