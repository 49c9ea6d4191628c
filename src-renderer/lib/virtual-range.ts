export interface GridGeometry {
  viewportWidth: number;
  viewportHeight: number;
  scrollTop: number;
  cellWidth: number;
  cellHeight: number;
  gap: number;
  itemCount: number;
  /** Extra rows rendered above and below the viewport so fast scrolling shows no holes. */
  overscan: number;
}

export interface GridWindow {
  columns: number;
  rowHeight: number;
  totalRows: number;
  firstRow: number;
  lastRow: number;
  /** Item indices [start, end) to render. */
  start: number;
  end: number;
  totalHeight: number;
}

/** Which rows of a fixed-cell grid are visible; the grid renders only those. */
export function gridWindow(g: GridGeometry): GridWindow {
  const columns = Math.max(1, Math.floor((g.viewportWidth + g.gap) / (g.cellWidth + g.gap)));
  const rowHeight = g.cellHeight + g.gap;
  const totalRows = Math.ceil(g.itemCount / columns);
  const firstVisible = Math.floor(Math.max(0, g.scrollTop) / rowHeight);
  const lastVisible = Math.ceil((Math.max(0, g.scrollTop) + g.viewportHeight) / rowHeight);
  const firstRow = Math.max(0, firstVisible - g.overscan);
  const lastRow = Math.min(totalRows, lastVisible + g.overscan);
  return {
    columns,
    rowHeight,
    totalRows,
    firstRow,
    lastRow,
    start: Math.min(g.itemCount, firstRow * columns),
    end: Math.min(g.itemCount, lastRow * columns),
    totalHeight: Math.max(0, totalRows * rowHeight - g.gap),
  };
}
