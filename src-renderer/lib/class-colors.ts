/** Calm, distinguishable hues for class chips and bars; repeats after twelve classes. */
const PALETTE = [
  '#4f6bed', '#e07a5f', '#3d9970', '#c9a227', '#8e6bd8', '#2a9bb5',
  '#d35d8a', '#6b8e23', '#b86e3c', '#5c7cfa', '#17a589', '#a05195',
];

export function classColor(index: number): string {
  if (index < 0) return 'var(--muted-2)';
  return PALETTE[index % PALETTE.length];
}
