// The monitor loop on a fake clock: a whole 60-minute window, auto-rollback exactly once with
// verification, source outages that never roll back, adaptive cadence, extension, manual requests.
import { afterEach, describe, expect, it } from 'vitest';
import { bucketsAt, shippedEnv } from '../gates/sim.js';
import { MIN, T0, makeRig, type Rig } from './monitor-fakes.js';

const prod = shippedEnv('production');
let rig: Rig | undefined;
afterEach(() => rig?.cleanup());

const healthyMetrics = (m: number, p: number | undefined) => {
  const dt = p === undefined ? 0 : (m - p) * 60;
  return { values: { low_confidence_queue: 10, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40 }, extractions: dt, failures: 0, hash: bucketsAt([[300, dt]]) };
};

describe('a healthy 60-minute window', () => {
  it('polls on the seeds cadence, passes with exit 0, and journals every sample and evaluation', async () => {
    rig = makeRig(prod, { metrics: healthyMetrics });
    const s = await rig.run();
    expect(s).toMatchObject({ result: 'passed', exitCode: 0, polls: 39, breaches: [] });
    expect(s.endedAt).toBe(T0 + 60 * MIN);
    expect(rig.rollbacks).toHaveLength(0);
    const j = rig.journalEvents();
    expect(j.filter((e) => e.event === 'sample')).toHaveLength(39);
    expect(j.filter((e) => e.event === 'evaluation')).toHaveLength(39);
    expect(j[0]).toMatchObject({ event: 'monitor-start', t0_ms: T0, end_at_ms: T0 + 60 * MIN });
    expect(j.find((e) => e.event === 'monitor-done')).toMatchObject({ result: 'passed', exit_code: 0 });
    // The event stream carries the phase change from 30 s to 120 s and each next poll.
    const cad = rig.events.filter((e) => e.type === 'cadence');
    expect(cad.map((e) => e.type === 'cadence' && e.intervalSeconds)).toEqual([30, 120]);
    // One next-poll per poll: the first is announced with the cadence before the first poll,
    // so a screen shows "every 30 s" from its first second.
    expect(rig.events.filter((e) => e.type === 'next-poll')).toHaveLength(39);
    const firstSample = rig.events.findIndex((e) => e.type === 'sample');
    expect(rig.events.findIndex((e) => e.type === 'cadence')).toBeLessThan(firstSample);
    expect(rig.events.findIndex((e) => e.type === 'next-poll')).toBeLessThan(firstSample);
    expect(rig.notes.at(-1)).toMatchObject({ type: 'monitor-complete' });
  });
});

describe('auto-rollback', () => {
  it('p95 regression at T+12: rolls back at the tripping poll, once, then verifies and summarises', async () => {
    rig = makeRig(prod, {
      metrics: (m, p) => {
        const o = healthyMetrics(m, p);
        if (p === undefined) return o;
        const bad = Math.max(0, m - Math.max(p, 12)) * 60 * 0.1;
        return { ...o, hash: bucketsAt([[300, (m - p) * 60 - bad], [2200, bad]]) };
      },
    });
    const s = await rig.run();
    expect(rig.rollbacks).toHaveLength(1);
    // The window goes with the reason, so the rollback's notifications say "15 min window", not "latest reading".
    expect(rig.rollbacks[0]!.reason).toMatchObject({ gate: 'p95_hash_time', threshold: 2000, unit: 'ms', windowMinutes: 15 });
    expect(s.result).toBe('rolled-back');
    expect(s.exitCode).toBe(1);
    expect(s.breaches[0]).toMatchObject({ gate: 'p95_hash_time', at: T0 + 21 * MIN, windowMinutes: 15 });
    expect(s.rollback).toMatchObject({ trigger: 'auto', gate: 'p95_hash_time', ok: true, healthOk: true, smokeOk: true, incidentId: 'INC-1' });
    expect(s.message).toMatch(/p95_hash_time breached at T\+21:00/);
    // No poll after the breach: the window ends with the rollback.
    expect(s.polls).toBe(10 + 9);
    const j = rig.journalEvents();
    const decision = j.find((e) => e.event === 'decision' && e.decision === 'rollback')!;
    expect(decision).toMatchObject({ gate: 'p95_hash_time', threshold: 2000, window_minutes: 15 });
    expect(decision.value as number).toBeGreaterThan(2000);
    // SPEC order: critical notification first, then the rollback, then 3 OK health checks, smoke.
    expect(rig.notes[0]).toMatchObject({ type: 'gate-breach', severity: 'critical' });
    const stages = rig.events.filter((e) => e.type === 'rollback').map((e) => (e.type === 'rollback' ? e.stage : ''));
    expect(stages).toEqual(['requested', 'restore', 'verifying', 'health', 'health', 'health', 'smoke', 'smoke-done', 'verified']);
  });

  it('exactly once when every gate breaches at the same poll and the operator asks too', async () => {
    rig = makeRig(prod, {
      health: (m) => m < 10,
      metrics: (m, p) => (m < 10 ? healthyMetrics(m, p) : { values: { low_confidence_queue: 5000, cpu_percent: 99 }, extractions: 100, failures: 90, hash: bucketsAt([[9000, 100]]) }),
    });
    const done = rig.run();
    // The operator presses the rollback key while the automatic one is starting.
    let manual: Promise<void> | undefined;
    const off = rig.monitor.subscribe((e) => {
      if (e.type === 'rollback' && e.stage === 'requested') manual = rig!.monitor.requestRollback('operator pressed r');
    });
    const s = await done;
    off();
    await manual;
    expect(rig.rollbacks).toHaveLength(1);
    expect(s.result).toBe('rolled-back');
    const j = rig.journalEvents();
    expect(j.filter((e) => e.event === 'rollback-start')).toHaveLength(1);
    expect(j.filter((e) => e.event === 'rollback-already').length).toBeGreaterThanOrEqual(2);
    expect(s.breaches.map((b) => b.gate).sort()).toEqual(['extraction_failure_rate', 'low_confidence_queue', 'p95_hash_time']);
  });

  it('a manual request takes the same path (notified, verified, summarised)', async () => {
    rig = makeRig(prod, { metrics: healthyMetrics });
    const done = rig.run();
    await rig.clock.advance(7 * MIN);
    void rig.monitor.requestRollback('bad feeling');
    const s = await done;
    expect(rig.rollbacks).toEqual([expect.objectContaining({ trigger: 'manual', note: 'bad feeling' })]);
    expect(s).toMatchObject({ result: 'rolled-back', rollback: { trigger: 'manual', healthOk: true } });
  });

  it('a manual request carries the backup the operator confirmed to the rollback engine', async () => {
    rig = makeRig(prod, { metrics: healthyMetrics });
    const done = rig.run();
    await rig.clock.advance(3 * MIN);
    void rig.monitor.requestRollback('operator pressed r', 'backups/dhash_production_20261101_095900.zip');
    await done;
    expect(rig.rollbacks).toEqual([expect.objectContaining({ trigger: 'manual', backup: 'backups/dhash_production_20261101_095900.zip' })]);
  });

  it('a rollback that does not verify ends as rollback-failed', async () => {
    rig = makeRig(prod, { health: (m) => m < 20 }, { healthAfterRollback: false });
    const s = await rig.run();
    expect(rig.rollbacks).toHaveLength(1);
    expect(s.result).toBe('rollback-failed');
    expect(s.rollback?.healthOk).toBe(false);
  });

  it('without a rollback engine a breach alerts, ends the run with exit 1 and says to roll back by hand', async () => {
    rig = makeRig(prod, { health: (m) => m < 20 }, { noRollback: true });
    const s = await rig.run();
    expect(s).toMatchObject({ result: 'breached', exitCode: 1 });
    expect(s.message).toContain('rollout rollback --env production');
    expect(rig.notes.some((n) => n.type === 'gate-breach')).toBe(true);
  });
});

describe('metrics outages', () => {
  it('30 minutes of a failing source: gates in error, one alert per gate, no rollback, no breach', async () => {
    rig = makeRig(prod, { metrics: (m, p) => (m >= 10 && m < 40 ? { status: 'error', detail: 'HTTP 500 from http://127.0.0.1/metrics', t: 0 } : healthyMetrics(m, p)) });
    const s = await rig.run();
    expect(rig.rollbacks).toHaveLength(0);
    expect(s.result).toBe('passed');
    expect(s.sourceProblems).toBeGreaterThan(10);
    const sawError = rig.events.some((e) => e.type === 'gate-state' && e.to === 'error' && e.gate === 'p95_hash_time');
    expect(sawError).toBe(true);
    const outageAlerts = rig.events.filter((e) => e.type === 'alert' && e.cause === 'source-errors');
    // One alert for the streak, naming every metrics gate (health_failures is fed by the health check).
    expect(outageAlerts).toHaveLength(1);
    const named = outageAlerts[0]!.type === 'alert' ? outageAlerts[0]!.gate.split(', ') : [];
    expect(named.sort()).toEqual(prod.gates.filter((g) => g.signal !== 'health').map((g) => g.name).sort());
    expect(outageAlerts[0]!.type === 'alert' && outageAlerts[0]!.message).toMatch(/HTTP 500.*not a breach/);
    expect(rig.notes.filter((n) => n.type === 'gate-warn')).toHaveLength(1);
  });
});

describe('cadence and window', () => {
  it('adaptive: a warning gate brings the 30 s cadence back until it clears', async () => {
    rig = makeRig(prod, { metrics: (m, p) => ({ ...healthyMetrics(m, p), values: { ...healthyMetrics(m, p).values, low_confidence_queue: m >= 20 && m < 30 ? 900 : 10 } }) });
    const s = await rig.run();
    expect(s.result).toBe('passed');
    const cad = rig.events.filter((e) => e.type === 'cadence').map((e) => (e.type === 'cadence' ? [e.intervalSeconds, e.adaptive] : []));
    expect(cad).toEqual([[30, false], [120, false], [30, true], [120, false]]);
    const polls = rig.journalEvents().filter((e) => e.event === 'sample').map((e) => e.minute as number);
    expect(polls.filter((m) => m > 21 && m < 23)).toEqual([21.5, 22, 22.5]);
    // The queue clears at T+30: back to the 120 s grid (T+31, T+33).
    expect(polls.filter((m) => m >= 29.5 && m <= 33)).toEqual([29.5, 30, 31, 33]);
  });

  it('extend() lengthens the window and the journal records the new end', async () => {
    rig = makeRig(prod, { metrics: healthyMetrics });
    const done = rig.run();
    await rig.clock.advance(50 * MIN);
    rig.monitor.extend(10);
    const s = await done;
    expect(s.endAt).toBe(T0 + 70 * MIN);
    expect(s.endedAt).toBe(T0 + 70 * MIN);
    expect(rig.journalEvents().find((e) => e.event === 'extend')).toMatchObject({ minutes: 10, end_at_ms: T0 + 70 * MIN });
  });

  it('--duration sets the window', async () => {
    rig = makeRig(prod, { metrics: healthyMetrics }, { durationMinutes: 3 });
    const s = await rig.run();
    expect(s.endAt - s.t0).toBe(3 * MIN);
    expect(s.polls).toBe(7);
  });
});

describe('inconclusive windows', () => {
  it('a window in which a gate never had enough observations ends inconclusive: exit 4, the gate named, notified as a warning', async () => {
    // 1 extraction and 1 hash a minute: far below the 20 observations ratio and p95 gates need in their windows.
    rig = makeRig(prod, { metrics: (m, p) => ({ ...healthyMetrics(m, p), extractions: 1, failures: 1, hash: bucketsAt([[9000, 1]]) }) }, { durationMinutes: 6 });
    const s = await rig.run();
    expect(s).toMatchObject({ result: 'inconclusive', exitCode: 4, breaches: [] });
    expect(rig.rollbacks).toHaveLength(0);
    expect(s.unjudged!.map((u) => u.gate)).toEqual(['extraction_failure_rate', 'p95_hash_time']);
    expect(s.message).toMatch(/inconclusive: .*gates extraction_failure_rate, p95_hash_time had enough data for a verdict \(extraction_failure_rate: extraction_failure_rate: \d+ of the 20 observations needed/);
    expect(s.finalStates.p95_hash_time).toBe('insufficient');
    expect(rig.journalEvents().find((e) => e.event === 'monitor-done')).toMatchObject({ result: 'inconclusive', exit_code: 4 });
    expect(rig.notes.at(-1)).toMatchObject({ type: 'monitor-complete', severity: 'warning' });
  });

  it('a breach still wins over a gate that had too little data', async () => {
    rig = makeRig(prod, { metrics: (m, p) => ({ ...healthyMetrics(m, p), values: { ...healthyMetrics(m, p).values, low_confidence_queue: m >= 2 ? 5000 : 10 }, extractions: 1, failures: 0 }) }, { durationMinutes: 6 });
    const s = await rig.run();
    expect(s.result).toBe('rolled-back');
    expect(s.exitCode).toBe(1);
  });
});
