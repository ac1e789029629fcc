// A fake-clock drive of the pure gate engine: polls on the plan's grid, observations from a
// function of time, every evaluation kept. Used by the gate tests to find the exact tripping poll.
import { parseGatesConfig } from '../../src/config/gates.js';
import type { EnvironmentGates, Gate } from '../../src/config/gates-schema.js';
import { evaluate } from '../../src/gates/evaluate.js';
import { ObservationHistory } from '../../src/gates/history.js';
import { nextPollAt, type PollPlan } from '../../src/gates/schedule.js';
import type { Evaluation, GateState, Observation } from '../../src/gates/types.js';
import { readFileSync } from 'node:fs';
import { REPO } from '../helpers/cli.js';
import { join } from 'node:path';

export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
export const MIN = 60_000;

/** The shipped config's environment (the seeds' production gates). */
export function shippedEnv(env = 'production'): EnvironmentGates {
  return parseGatesConfig(readFileSync(join(REPO, 'quality-gates-config.json'), 'utf8')).environments[env]!;
}

export function gate(env: EnvironmentGates, name: string): Gate {
  return env.gates.find((g) => g.name === name)!;
}

export function planOf(env: EnvironmentGates, t0 = T0): PollPlan {
  return { t0, endAt: t0 + env.monitoring.durationMinutes * MIN, polling: env.monitoring.polling, adaptive: env.monitoring.adaptive };
}

/** What the generator returns for a poll at t (minutes since T0), with the previous poll time. */
export type Gen = (minute: number, prevMinute: number | undefined) => Omit<Observation, 'seq' | 't'>;

/** Run the whole window; returns every evaluation in order. */
export function simulate(gates: Gate[], plan: PollPlan, gen: Gen): Evaluation[] {
  const hist = new ObservationHistory(24 * 60 * MIN);
  let states: Record<string, GateState> = {};
  const out: Evaluation[] = [];
  let t: number | null = plan.t0;
  let prev: number | undefined;
  let seq = 0;
  while (t !== null) {
    seq++;
    hist.push({ seq, t, ...gen((t - plan.t0) / MIN, prev === undefined ? undefined : (prev - plan.t0) / MIN) });
    const ev = evaluate(gates, hist.all(), t, states, seq);
    states = ev.states;
    out.push(ev);
    prev = t;
    const fast = ev.decisions.some((d) => d.status === 'warn');
    t = nextPollAt(plan, t, fast);
  }
  return out;
}

/** Minute (since T0) of the first evaluation where `name` is in breach, or undefined. */
export function firstBreach(evs: Evaluation[], name: string, t0 = T0): number | undefined {
  const e = evs.find((x) => x.decisions.some((d) => d.gate === name && d.status === 'breach'));
  return e ? (e.t - t0) / MIN : undefined;
}

export function decisionAt(evs: Evaluation[], name: string, minute: number, t0 = T0) {
  const e = evs.find((x) => x.t === t0 + minute * MIN);
  return e?.decisions.find((d) => d.gate === name);
}

/** A healthy observation with traffic of `rps` per second over (prev, now]. */
export function healthy(minute: number, prev: number | undefined, rps = 1): Omit<Observation, 'seq' | 't'> {
  const dt = prev === undefined ? 0 : (minute - prev) * 60;
  return {
    health: { ok: true, detail: 'ok' },
    source: 'ok',
    values: { low_confidence_queue: 10, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40 },
    extractions: dt * rps,
    failures: 0,
    hash: bucketsAt([[300, dt * rps]]),
  };
}

const BOUNDS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000];

/** Per-bucket counts with `n` observations placed at each given ms value. */
export function bucketsAt(points: [number, number][]): { bounds: number[]; counts: number[] } {
  const counts = new Array<number>(BOUNDS.length + 1).fill(0);
  for (const [ms, n] of points) {
    let i = BOUNDS.findIndex((b) => ms <= b);
    if (i < 0) i = BOUNDS.length;
    counts[i]! += n;
  }
  return { bounds: BOUNDS, counts };
}
