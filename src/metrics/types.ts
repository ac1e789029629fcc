// What a metrics source delivers: one Sample per read (gauges, counter deltas, the hash-time
// histogram delta), or an error / no-data outcome. A source never throws for a bad endpoint.
import type { Signal } from '../config/gates-schema.js';
import type { HashDelta } from '../gates/types.js';

/** One successful read, already turned into per-sample deltas. */
export interface Sample {
  t: number;
  /** Gauges, plus this sample's own failure rate (%) and p95 (ms) for display. */
  values: Partial<Record<Signal, number>>;
  /** Deltas since the previous read; absent on the first (baseline) read. */
  extractions?: number;
  failures?: number;
  hash?: HashDelta;
  /** The service's version, when the source tells it. */
  version?: string;
  /** Set when the counters went backwards (the service restarted) and were re-based. */
  reset?: boolean;
  /** Observations behind values the source already computed over the gate's window (PromQL), by signal. */
  counts?: Partial<Record<Signal, number>>;
}

/** The outcome of one read. */
export type SourceOutcome = { status: 'ok'; sample: Sample } | { status: 'error' | 'no-data'; detail: string; t: number };

/** A metrics source as the monitor uses it. */
export interface MetricSource {
  /** kind and where, for screens and the journal (no secrets). */
  readonly description: string;
  /** Things the operator must know about this source (e.g. TLS checks turned off). */
  readonly warnings?: string[];
  read(): Promise<SourceOutcome>;
}

/** Raw totals as read from an endpoint, before deltas. */
export interface RawReading {
  /** Changes when the service process changes (pid, start time): counters restart. */
  identity?: string;
  /** Seconds the process has been up, when known. */
  uptimeSeconds?: number;
  version?: string;
  extractionsTotal?: number;
  failuresTotal?: number;
  /** Cumulative bucket counts aligned with bounds, +Inf last. */
  hashCumulative?: { bounds: number[]; buckets: number[] };
  gauges: Partial<Record<Signal, number>>;
  /** Observations behind gauges that are already windowed values (PromQL), by signal. */
  counts?: Partial<Record<Signal, number>>;
}

/** Reading failed or was empty: a reason for the operator. */
export class SourceProblem {
  constructor(
    readonly status: 'error' | 'no-data',
    readonly detail: string,
  ) {}
}
