import { describe, expect, it } from 'vitest';
import { knownClassIndices } from '../../src-main/engine/model/known-classes';

const CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

describe('knownClassIndices', () => {
  it('finds a class by its name in any case, spacing, plural or a common alias', () => {
    expect(knownClassIndices(['Cats', ' dog ', 'SHIPS', 'cars', 'aeroplane', 'horses'], CIFAR)).toEqual([3, 5, 8, 1, 0, 7]);
  });

  it('leaves classes the source does not know, and any two that would share one source class, to a fresh row', () => {
    expect(knownClassIndices(['sunflower', 'caterpillar', 'catfish'], CIFAR)).toEqual([null, null, null]);
    expect(knownClassIndices(['cat', 'cats', 'dog'], CIFAR)).toEqual([null, null, 5]);
  });

  it('maps the same classes in another order onto themselves', () => {
    const shuffled = [...CIFAR].reverse();
    expect(knownClassIndices(shuffled, CIFAR)).toEqual(CIFAR.map((_, i) => 9 - i));
  });
});
