// The gate engine's data: what one poll observed, what a gate decided, and the state carried from
// one evaluation to the next. Plain data, so that it can be journaled and rebuilt on --resume.
import type { Gate, Signal } from '../config/gates-schema.js';

/** Per-bucket (non-cumulative) hash-time counts of one sample, aligned with `bounds` plus +Inf. */
export interface HashDelta {
  bounds: number[];
  counts: number[];
}

/** How the metrics source answered on one poll. */
export type SourceStatus = 'ok' | 'error' | 'no-data';

/** Everything one poll saw: the health check and the metrics source. */
export interface Observation {
  /** Poll number, from 1. */
  seq: number;
  /** Clock time of the poll (ms). */
  t: number;
  /** The health check: a check that could not connect or timed out is a non-OK check. */
  health?: { ok: boolean; detail: string; latencyMs?: number };
  source: SourceStatus;
  sourceDetail?: string;
  /** Gauges and per-sample derived values (display) by signal. */
  values: Partial<Record<Signal, number>>;
  /** Counter deltas since the previous successful read (absent on a baseline read). */
  extractions?: number;
  failures?: number;
  hash?: HashDelta;
  /** Observations behind a value the source computed over the window itself (PromQL), by signal. */
  counts?: Partial<Record<Signal, number>>;
}

/** What a gate can be: the worst wins (breach > error > warn > no-data > insufficient > ok). */
export type GateStatus = 'ok' | 'warn' | 'breach' | 'no-data' | 'insufficient' | 'error';

/** One gate's judgement at one evaluation: the value, the limit and the window behind it. */
export interface GateDecision {
  gate: string;
  status: GateStatus;
  /** The aggregated value (null when there was nothing to aggregate). */
  value: number | null;
  threshold: number;
  warnAt: number;
  comparison: '>' | '<';
  unit: string;
  action: Gate['action'];
  window: { minutes: number; from: number; to: number; samples: number };
  /** The inputs behind the value (e.g. failed and total extractions, bucket counts). */
  inputs: Record<string, number | string>;
  /** One sentence: why this status. */
  reason: string;
  /** Consecutive polls on which this gate's source failed (error or empty). */
  consecutiveErrors: number;
  /** Observations behind the value, and the fewest the gate needs (absent: not counted). */
  observations?: number;
  minObservations?: number;
}

/** Carried per gate between evaluations. */
export interface GateState {
  status: GateStatus;
  since: number;
  consecutiveErrors: number;
  /** The error streak already alerted (so one streak alerts once). */
  errorAlerted: boolean;
  /** Times this gate entered breach. */
  breaches: number;
  /** The gate had enough data for a verdict (ok, warn or breach) at least once in this window. */
  judged?: boolean;
}

/** Something the monitor must do because of an evaluation. */
export type GateAction =
  | { kind: 'rollback'; gate: string; decision: GateDecision; cause: 'breach' | 'source-errors' }
  | { kind: 'alert'; gate: string; decision: GateDecision; cause: 'breach' | 'source-errors' | 'warn' }
  | { kind: 'log'; gate: string; decision: GateDecision; cause: 'breach' };

/** The outcome of one evaluation pass over every enabled gate. */
export interface Evaluation {
  t: number;
  seq: number;
  decisions: GateDecision[];
  worst: GateStatus;
  actions: GateAction[];
  states: Record<string, GateState>;
}
