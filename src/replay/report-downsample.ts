// Merging bins into drawing columns so that a long capture (an hour is 36,000 bins of 100 ms) stays a
// small file. Heights stay in packets per bin (the mean over the column's bins) so the y axis means the
// same at any zoom; the loss strip keeps the worst single bin, so a short outage cannot be averaged
// away. The tables never use columns: their totals come from every bin.
import type { ModeSeries } from './report-types.js';

export interface Columns {
  /** Bins merged into each column (1 = no downsampling). */
  binsPerColumn: number;
  /** Bins covered: the longest series of the scenario. */
  bins: number;
  delivered: Float64Array;
  lost: Float64Array;
  /** Per column, the largest lost / (delivered + lost) of any one of its bins (0 when nothing sent). */
  worstLossShare: Float64Array;
}

export function binsPerColumn(bins: number, maxColumns: number): number {
  return Math.max(1, Math.ceil(bins / maxColumns));
}

/** Columns of `k` bins over `bins` bins; bins past the end of the series count as nothing sent. */
export function toColumns(series: ModeSeries, bins: number, k: number): Columns {
  const n = Math.ceil(bins / k);
  const delivered = new Float64Array(n), lost = new Float64Array(n), worst = new Float64Array(n);
  const have = Math.min(bins, series.delivered.length);
  for (let b = 0; b < have; b++) {
    const c = Math.floor(b / k);
    const d = series.delivered[b], l = series.lost[b];
    delivered[c] += d;
    lost[c] += l;
    if (l > 0) {
      const share = l / (d + l);
      if (share > worst[c]) worst[c] = share;
    }
  }
  for (let c = 0; c < n; c++) {
    const width = Math.min(k, bins - c * k); // the last column may hold fewer bins
    delivered[c] /= width;
    lost[c] /= width;
  }
  return { binsPerColumn: k, bins, delivered, lost, worstLossShare: worst };
}
