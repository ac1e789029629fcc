// Counters are totals since the service started: each read becomes a delta against the previous
// one. A counter that goes backwards, or a new process identity, means a restart: the new totals
// are the delta (they all happened since the restart).
import { decumulate, quantile } from '../gates/histogram.js';
import type { RawReading, Sample } from './types.js';

/** Turns successive raw readings into samples. */
export class DeltaTracker {
  private prev: RawReading | undefined;

  /**
   * @param freshSince when set, a first reading from a process started at or after this time
   *   (clock ms) counts its totals as the first delta (a just-deployed release).
   */
  constructor(private readonly freshSince?: number) {}

  /** The sample for a reading taken at t. */
  next(r: RawReading, t: number): Sample {
    const p = this.prev;
    const sample: Sample = { t, values: { ...r.gauges }, ...(r.version ? { version: r.version } : {}), ...(r.counts ? { counts: { ...r.counts } } : {}) };
    let fromZero = false;
    if (!p) {
      fromZero = this.freshSince !== undefined && r.uptimeSeconds !== undefined && t - r.uptimeSeconds * 1000 >= this.freshSince - 1000;
    } else {
      const restarted =
        (r.identity !== undefined && p.identity !== undefined && r.identity !== p.identity) ||
        less(r.extractionsTotal, p.extractionsTotal) ||
        less(r.failuresTotal, p.failuresTotal) ||
        (r.hashCumulative !== undefined && p.hashCumulative !== undefined && r.hashCumulative.buckets.some((b, i) => b < (p.hashCumulative!.buckets[i] ?? 0)));
      if (restarted) {
        fromZero = true;
        sample.reset = true;
      }
    }
    if (p || fromZero) {
      const base = fromZero ? undefined : p;
      if (r.extractionsTotal !== undefined && (fromZero || base?.extractionsTotal !== undefined)) sample.extractions = r.extractionsTotal - (base?.extractionsTotal ?? 0);
      if (r.failuresTotal !== undefined && (fromZero || base?.failuresTotal !== undefined)) sample.failures = r.failuresTotal - (base?.failuresTotal ?? 0);
      const h = r.hashCumulative;
      const bh = base?.hashCumulative;
      if (h && (fromZero || (bh && sameBounds(h.bounds, bh.bounds) && bh.buckets.length === h.buckets.length))) {
        const cum = h.buckets.map((b, i) => b - (bh?.buckets[i] ?? 0));
        sample.hash = { bounds: h.bounds, counts: decumulate(cum) };
      }
    }
    if (sample.extractions !== undefined && sample.extractions > 0) sample.values.extraction_failure_rate = (100 * (sample.failures ?? 0)) / sample.extractions;
    if (sample.hash) {
      const p95 = quantile(sample.hash, 0.95);
      if (p95 !== null) sample.values.hash_time_ms = p95;
    }
    this.prev = r;
    return sample;
  }
}

function less(a: number | undefined, b: number | undefined): boolean {
  return a !== undefined && b !== undefined && a < b;
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
