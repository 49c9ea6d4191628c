/**
 * Class colours for chips, swatches and bars. The first twelve are hand-picked to be told apart
 * (no two blues: CIFAR-10's 1st and 10th class once shared one), and light enough to show on
 * the dark chip over a thumbnail; past twelve, hues step by the
 * golden angle so neighbours still differ.
 */
export const CLASS_PALETTE = [
  '#4e79a7', // blue
  '#f28e2b', // orange
  '#59a14f', // green
  '#e15759', // red
  '#9467bd', // purple
  '#17becf', // cyan
  '#edc948', // yellow
  '#ff9da7', // pink
  '#8c564b', // brown
  '#c2185b', // magenta
  '#9edae5', // pale cyan
  '#98df8a', // pale green
] as const;

export function classColor(index: number): string {
  if (index < 0) return 'var(--muted-2)';
  if (index < CLASS_PALETTE.length) return CLASS_PALETTE[index];
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue} 55% ${index % 2 ? 42 : 58}%)`;
}
