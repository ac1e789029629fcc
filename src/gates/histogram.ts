// Hash-time histograms: turning cumulative bucket totals into per-sample deltas, merging the
// deltas of a window, and the p95 of the merged histogram (Prometheus histogram_quantile rules).
import type { HashDelta } from './types.js';

/** Per-bucket counts from cumulative counts (the last entry is +Inf). */
export function decumulate(cumulative: number[]): number[] {
  return cumulative.map((c, i) => Math.max(0, c - (i === 0 ? 0 : cumulative[i - 1]!)));
}

/** Merge per-bucket counts of several samples with the same bounds; mismatched bounds are skipped. */
export function mergeHistograms(parts: HashDelta[]): HashDelta | undefined {
  let merged: HashDelta | undefined;
  for (const p of parts) {
    if (!merged) {
      merged = { bounds: p.bounds, counts: [...p.counts] };
      continue;
    }
    if (p.counts.length !== merged.counts.length || p.bounds.some((b, i) => b !== merged!.bounds[i])) continue;
    for (let i = 0; i < p.counts.length; i++) merged.counts[i]! += p.counts[i]!;
  }
  return merged;
}

/** Total observations in a histogram. */
export function histogramCount(h: HashDelta): number {
  let n = 0;
  for (const c of h.counts) n += c;
  return n;
}

/**
 * The q-quantile of per-bucket counts, interpolated linearly inside the bucket that holds the
 * rank (as Prometheus does); a rank in +Inf yields the highest finite bound. null when empty.
 */
export function quantile(h: HashDelta, q: number): number | null {
  const total = histogramCount(h);
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (seen + c >= rank && c > 0) {
      if (i >= h.bounds.length) return h.bounds[h.bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : h.bounds[i - 1]!;
      const upper = h.bounds[i]!;
      return lower + (upper - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return h.bounds[h.bounds.length - 1] ?? null;
}
