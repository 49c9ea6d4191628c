/**
 * The live charts' step history, shared by the services (which keep it for a reload or a second
 * tab) and the renderer (which extends it with every `training.batch` event), so both agree.
 */
interface StepPosition {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
}

/** Most steps kept per run; past it every other one is dropped, which keeps the curve's shape. */
export const MAX_STEP_POINTS = 4000;

/** Where a step sits on the charts' x axis, in epochs (2.5 = halfway through the third epoch). */
export const stepX = (b: StepPosition): number => b.epoch - 1 + b.step / Math.max(1, b.stepsPerEpoch);

/**
 * A new list with `point` appended: thinned past `max`, and cut back first when the point lies at
 * or before the last one (a run resumed from an older checkpoint repeats those steps).
 */
export function appendStep<T extends StepPosition>(list: readonly T[], point: T, max = MAX_STEP_POINTS): T[] {
  const x = stepX(point);
  const kept = list.length > 0 && stepX(list[list.length - 1]) >= x ? list.filter((p) => stepX(p) < x) : list;
  const next = [...kept, point];
  return next.length > max ? next.filter((_, i) => i % 2 === 0 || i === next.length - 1) : next;
}

/** A stored history joined with steps that arrived while it was fetched (those after its end). */
export function joinSteps<T extends StepPosition>(stored: readonly T[], live: readonly T[]): T[] {
  const end = stored.length > 0 ? stepX(stored[stored.length - 1]) : -Infinity;
  return [...stored, ...live.filter((p) => stepX(p) > end)];
}
