/**
 * Momentum SGD with classic (L2-style, coupled) weight decay, as PyTorch's
 * `torch.optim.SGD(momentum, weight_decay)` and MindSpore's `Momentum` compute it:
 *
 *   g = grad + weightDecay * w      (only for decayed variables, see `isDecayed`)
 *   v = momentum * v + g
 *   w = w - rate * v                (rate = lr times the weight's lrScale: `rateOf`)
 *
 * The velocities are the whole optimizer state; `getState` / `setState` move them in and out of a
 * checkpoint bit for bit, so a resumed run continues exactly where it stopped.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  /**
   * Each weight's share of the step's learning rate, by its saved name; 1 for all when absent.
   * Fine-tuning gives the backbone a smaller share than the head (step/fine-tune.ts). Like
   * PyTorch's parameter groups, the share scales the step, not the gradient: momentum and weight
   * decay accumulate as without it.
   */
  lrScale?: (name: string) => number;
}

/** A trainable variable and the stable name it is saved under (the layer weight's original name). */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/** JSON half of the serialized state; `velocities` holds the numbers, in `entries` order. */
export interface SgdStateHeader {
  formatVersion: 1;
  /** Updates applied so far (the schedule's step counter). */
  step: number;
  momentum: number;
  weightDecay: number;
  entries: { name: string; shape: number[] }[];
}

export interface SgdState {
  header: SgdStateHeader;
  velocities: Float32Array;
}

/**
 * Weight decay applies to convolution and dense kernels (rank >= 2: conv `[kh, kw, in, out]`,
 * depthwise `[kh, kw, c, 1]`, grouped 1x1 and dense `[in, out]`) and never to rank-1 variables:
 * batch-norm gamma/beta and biases, whose decay only fights the normalisation.
 */
export function isDecayed(variable: { rank: number }): boolean {
  return variable.rank >= 2;
}

/**
 * The module's rule on plain arrays, in place, for a trainer whose weights live outside tfjs
 * (ort-train/onnx-trainer.ts): v = momentum * v + grad + decay * w, w -= rate * v. `decay` is the
 * weight decay where `isDecayed`, else 0; `rate` is `MomentumSgd.rateOf`'s.
 */
export function momentumSgdStep(p: { value: Float32Array; velocity: Float32Array; grad: Float32Array }, momentum: number, decay: number, rate: number): void {
  const { value, velocity, grad } = p;
  for (let k = 0; k < value.length; k++) {
    const v = momentum * velocity[k] + grad[k] + decay * value[k];
    velocity[k] = v;
    value[k] -= rate * v;
  }
}

export class MomentumSgd {
  private readonly velocities: tf.Variable[];
  /** Number of updates applied; drives the learning-rate schedule. */
  step = 0;

  constructor(
    private readonly weights: readonly NamedVariable[],
    readonly options: SgdOptions,
  ) {
    this.velocities = weights.map(({ variable }) => tf.tidy(() => tf.variable(tf.zerosLike(variable), false, undefined, 'float32')));
  }

  /**
   * One update. `grads` maps `variable.name` (the tfjs variable's runtime name, as
   * `tf.variableGrads` keys it) to a gradient of the same shape. As in PyTorch, a variable
   * without a gradient is left untouched (no decay, no momentum step).
   */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay } = this.options;
    tf.tidy(() => {
      this.weights.forEach(({ name, variable }, i) => {
        const grad = grads[variable.name];
        if (!grad) return;
        const g = weightDecay > 0 && isDecayed(variable) ? grad.add(variable.mul(weightDecay)) : grad;
        const v = this.velocities[i].mul(momentum).add(g);
        this.velocities[i].assign(v);
        variable.assign(variable.sub(v.mul(this.rateOf(name, lr))));
      });
    });
    this.step += 1;
  }

  /**
   * The rate weight `name` moves at in a step at `lr`: lr times its lrScale. The one per-weight rate
   * rule of both training runtimes (ONNX Runtime's trainer asks it too), exactly `lr` at scale 1.
   */
  rateOf(name: string, lr: number): number {
    return lr * (this.options.lrScale?.(name) ?? 1);
  }

  /** Copies the velocities out (one download per variable). */
  async getState(): Promise<SgdState> {
    const sizes = this.velocities.map((v) => v.size);
    const velocities = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    for (const v of this.velocities) {
      velocities.set((await v.data()) as Float32Array, offset);
      offset += v.size;
    }
    return {
      header: {
        formatVersion: 1,
        step: this.step,
        momentum: this.options.momentum,
        weightDecay: this.options.weightDecay,
        entries: this.weights.map(({ name, variable }) => ({ name, shape: variable.shape.slice() })),
      },
      velocities,
    };
  }

  /** Restores velocities and the step counter; the variable list must match name for name. */
  setState(state: SgdState): void {
    const { entries } = state.header;
    if (entries.length !== this.weights.length) {
      throw new UserError(`optimizer state has ${entries.length} variables but the model has ${this.weights.length}`);
    }
    let offset = 0;
    entries.forEach((entry, i) => {
      const { name, variable } = this.weights[i];
      const same = entry.name === name && entry.shape.length === variable.rank && entry.shape.every((d, k) => d === variable.shape[k]);
      if (!same) {
        throw new UserError(`optimizer state variable ${i} is ${entry.name} [${entry.shape}] but the model has ${name} [${variable.shape}]`);
      }
      const size = variable.size;
      if (offset + size > state.velocities.length) {
        throw new UserError(`optimizer state holds ${state.velocities.length} numbers, fewer than the model needs`);
      }
      tf.tidy(() => this.velocities[i].assign(tf.tensor(state.velocities.subarray(offset, offset + size), variable.shape, 'float32')));
      offset += size;
    });
    if (offset !== state.velocities.length) {
      throw new UserError(`optimizer state holds ${state.velocities.length} numbers but the model needs ${offset}`);
    }
    this.step = state.header.step;
  }

  dispose(): void {
    for (const v of this.velocities) v.dispose();
  }
}
