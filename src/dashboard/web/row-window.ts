// Which rows of a long table are drawn: those in view and some on either side, the rest stand in
// as two spacer rows of their height. A fleet of 1,000 clusters is ~60 rows in the DOM, so the
// first render, a burst of updates and a search redraw cost the same at any fleet size. Short
// tables are drawn whole (the browser's own find then sees every row).

/** Tables of at most this many rows are drawn whole. */
export const WHOLE_TABLE_ROWS = 200;
/** Rows drawn beyond the view, above and below. */
export const OVERSCAN_ROWS = 30;

/** Where the view is, in pixels from the top of the table's first row. */
export interface View {
  /** Rows in the table. */
  count: number;
  rowHeight: number;
  /** The top of the view relative to the first row (negative while the table starts below it). */
  top: number;
  height: number;
}

/** Rows `first` (inclusive) to `last` (exclusive) are drawn. */
export interface RowWindow {
  first: number;
  last: number;
}

/** The rows to draw for a view; see the file comment. */
export function rowWindow(v: View, whole = WHOLE_TABLE_ROWS, overscan = OVERSCAN_ROWS): RowWindow {
  if (v.count <= whole || !(v.rowHeight > 0)) return { first: 0, last: v.count };
  const clamp = (n: number) => Math.max(0, Math.min(v.count, n));
  const first = clamp(Math.floor(v.top / v.rowHeight) - overscan);
  const last = clamp(Math.ceil((v.top + v.height) / v.rowHeight) + overscan);
  // A view far below the table (or above it) still draws the rows next to it, never none.
  if (first >= last) return first >= v.count ? { first: Math.max(0, v.count - overscan), last: v.count } : { first: 0, last: Math.min(v.count, overscan) };
  return { first, last };
}
