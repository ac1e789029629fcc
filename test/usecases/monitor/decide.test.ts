// The monitor's decision step without any I/O: state + one reading in, the next state and the
// ordered decisions out. The shipped production gates (quality-gates-config.json), readings made
// up here; no clock, no journal, no notifier. Also the end-of-window verdict sentence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentGates, parseGatesConfig } from '../../../src/config/gates.js';
import type { Observation } from '../../../src/gates/types.js';
import { decide, initialDecideState, verdict, type DecideState, type Decision, type PollInput } from '../../../src/usecases/monitor/decide.js';
import { REPO } from '../../helpers/cli.js';

const gates = environmentGates(parseGatesConfig(readFileSync(join(REPO, 'quality-gates-config.json'), 'utf8')), 'production');
const T0 = Date.UTC(2026, 11, 1, 1, 0, 0);

function obs(seq: number, queue: number, healthOk = true): Observation {
  return { seq, t: T0 + seq * 30_000, health: { ok: healthOk, detail: healthOk ? 'ok' : '503' }, source: 'ok', values: { low_confidence_queue: queue }, extractions: 100, failures: 0 };
}

/** Feed readings one by one, as the loop does; every decision in order. */
function feed(readings: Observation[], o: Partial<PollInput> = {}, start: DecideState = initialDecideState()): { state: DecideState; all: Decision[][] } {
  let state = start;
  const all: Decision[][] = [];
  const seen: Observation[] = [];
  for (const r of readings) {
    seen.push(r);
    const out = decide(state, { gates: gates.gates, observations: [...seen], t: r.t, seq: r.seq, phase: 0, env: 'production', rollbackAvailable: true, dedupeMs: 300_000, sourceDescription: 'fake', ...o });
    state = out.state;
    all.push(out.decisions);
  }
  return { state, all };
}

const kinds = (ds: Decision[]): string[] => ds.map((d) => (d.kind === 'journal' ? `journal:${d.event}` : d.kind === 'emit' ? `emit:${d.event.type}` : d.kind));

describe('decide()', () => {
  it('a queue past its instant threshold: breach, the decision journaled, then the rollback, in that order', () => {
    const { all, state } = feed([obs(1, 10), obs(2, 1500)]);
    expect(all[0]!.some((d) => d.kind === 'rollback' || d.kind === 'breach')).toBe(false);
    const second = all[1]!;
    expect(kinds(second).filter((k) => k !== 'emit:gate-state')).toEqual(['journal:evaluation', 'emit:evaluation', 'breach', 'journal:decision', 'rollback']);
    expect(second.find((d) => d.kind === 'rollback')).toMatchObject({ reason: { gate: 'low_confidence_queue', value: 1500, threshold: 1000, unit: 'items' } });
    expect(state.states.low_confidence_queue?.status).toBe('breach');
  });

  it('without a rollback engine the same breach is a loud alert naming the manual command, and no rollback', () => {
    const { all } = feed([obs(1, 1500)], { rollbackAvailable: false });
    expect(all[0]!.some((d) => d.kind === 'rollback')).toBe(false);
    const alert = all[0]!.find((d) => d.kind === 'alert');
    expect(alert).toMatchObject({ gate: 'low_confidence_queue', notification: { type: 'gate-breach' } });
    expect(alert && alert.kind === 'alert' ? alert.message : '').toBe('low_confidence_queue tripped (1500 items against a threshold of 1000 items) but auto-rollback is unavailable here: roll back by hand (rollout rollback --env production).');
  });

  it('a gate flapping into warn alerts once per dedupe period, not on every flap', () => {
    const g = gates.gates.find((x) => x.name === 'low_confidence_queue')!;
    const near = Math.ceil(g.threshold * g.warnRatio) + 1;
    // warn, ok, warn, ok, warn within 300 s: one alert.
    const { all, state } = feed([obs(1, near), obs(2, 10), obs(3, near), obs(4, 10), obs(5, near)]);
    expect(all.map((ds) => ds.filter((d) => d.kind === 'alert').length)).toEqual([1, 0, 0, 0, 0]);
    expect(all[0]!.find((d) => d.kind === 'alert')).toMatchObject({ cause: 'warn', notification: { type: 'gate-warn' } });
    expect(state.anyWarn).toBe(true);
    // Past the dedupe period (300 s after the first), the next flap alerts again.
    const later = feed([obs(19, 10), obs(20, near)], {}, state);
    expect(later.all[1]!.filter((d) => d.kind === 'alert')).toHaveLength(1);
  });

  it('is pure: the same state and reading give the same decisions, and the input state is not changed', () => {
    const { state } = feed([obs(1, 10), obs(2, 20)]);
    const frozen = JSON.stringify(state);
    const input: PollInput = { gates: gates.gates, observations: [obs(1, 10), obs(2, 20), obs(3, 1500)], t: obs(3, 0).t, seq: 3, phase: 0, env: 'production', rollbackAvailable: true, dedupeMs: 300_000, sourceDescription: 'fake' };
    const a = decide(state, input);
    const b = decide(state, input);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(state)).toBe(frozen);
  });
});

describe('verdict()', () => {
  const base = { env: 'production', t0: T0, endAt: T0 + 60 * 60_000, now: T0 + 60 * 60_000, stopped: false, polls: 40, sourceProblems: 0, breaches: [], rollbackAvailable: true, rollback: undefined, states: {}, unjudged: [] };
  it('passed, stopped, and a resumed rollback that verified, each in one sentence with its exit code', () => {
    expect(verdict(base)).toMatchObject({ result: 'passed', exitCode: 0, message: 'production passed its 60:00 monitoring window: no gate breached (40 polls).' });
    expect(verdict({ ...base, stopped: true, now: T0 + 90_000 })).toMatchObject({ result: 'stopped', exitCode: 1, message: 'The monitor of production was stopped at T+01:30 of 60:00 before the window ended; continue with: rollout monitor --env production --resume.' });
    const breach = { gate: 'health_failures', at: T0 + 120_000, value: 3, threshold: 2, unit: 'checks', windowMinutes: 5, action: 'auto-rollback' as const, reason: '3 in a row' };
    const v = verdict({ ...base, breaches: [breach], rollback: { trigger: 'auto', gate: 'health_failures', ok: true, detail: 'restored b.zip; the target runs 1.0.0', incidentId: 'INC-1', healthOk: true, smokeOk: true, resumed: true } });
    expect(v).toMatchObject({ result: 'rolled-back', exitCode: 1 });
    expect(v.message).toBe('production was rolled back because health_failures breached at T+02:00 of 60:00 (3 checks, threshold 2 checks, 5 min window) (the interrupted rollback was finished by --resume): restored b.zip; the target runs 1.0.0; health and smoke checks pass again (incident INC-1).');
  });
});
