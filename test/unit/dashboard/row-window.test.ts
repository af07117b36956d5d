import { describe, expect, it } from 'vitest';
import { OVERSCAN_ROWS, rowWindow, WHOLE_TABLE_ROWS } from '../../../src/dashboard/web/row-window.js';

describe('rowWindow', () => {
  it('draws a short table whole', () => {
    expect(rowWindow({ count: WHOLE_TABLE_ROWS, rowHeight: 30, top: 900, height: 600 })).toEqual({ first: 0, last: WHOLE_TABLE_ROWS });
  });

  it('draws the rows in view and the overscan on either side of a long one', () => {
    // View from row 100 to row 120 (30 px rows, 600 px high).
    expect(rowWindow({ count: 1000, rowHeight: 30, top: 3000, height: 600 })).toEqual({ first: 100 - OVERSCAN_ROWS, last: 120 + OVERSCAN_ROWS });
    // At the top, with the table starting 200 px below the top of the view.
    expect(rowWindow({ count: 1000, rowHeight: 30, top: -200, height: 600 })).toEqual({ first: 0, last: 14 + OVERSCAN_ROWS });
    // At the bottom.
    expect(rowWindow({ count: 1000, rowHeight: 30, top: 29_700, height: 600 })).toEqual({ first: 990 - OVERSCAN_ROWS, last: 1000 });
  });

  it('never draws nothing: a view past either end draws the rows next to it', () => {
    expect(rowWindow({ count: 1000, rowHeight: 30, top: 90_000, height: 600 })).toEqual({ first: 1000 - OVERSCAN_ROWS, last: 1000 });
    expect(rowWindow({ count: 1000, rowHeight: 30, top: -90_000, height: 600 })).toEqual({ first: 0, last: OVERSCAN_ROWS });
  });

  it('draws everything while the row height is not known', () => {
    expect(rowWindow({ count: 1000, rowHeight: 0, top: 0, height: 600 })).toEqual({ first: 0, last: 1000 });
  });
});
