// The gate engine over fake-clock 60-minute windows: each seeds gate trips at exactly the right
// poll and not one earlier; source outages are error/no-data, never a breach.
import { describe, expect, it } from 'vitest';
import { evaluate, judgeGate } from '../../src/gates/evaluate.js';
import type { Observation } from '../../src/gates/types.js';
import { MIN, T0, bucketsAt, decisionAt, firstBreach, gate, healthy, planOf, shippedEnv, simulate } from './sim.js';

const prod = shippedEnv('production');
const noAdaptive = { ...planOf(prod), adaptive: false };

describe('health_failures (threshold 2: the 3rd consecutive non-OK check trips)', () => {
  const g = [gate(prod, 'health_failures')];
  const failingFrom = (m0: number) => (m: number, p: number | undefined) => ({ ...healthy(m, p), ...(m > m0 ? { health: { ok: false, detail: 'HTTP 503' } } : {}) });

  it('trips on the third failing poll, warns on the second', () => {
    const evs = simulate(g, noAdaptive, failingFrom(20));
    expect(decisionAt(evs, 'health_failures', 21)?.status).toBe('ok');
    expect(decisionAt(evs, 'health_failures', 23)).toMatchObject({ status: 'warn', value: 2 });
    expect(firstBreach(evs, 'health_failures')).toBe(25);
    const d = decisionAt(evs, 'health_failures', 25)!;
    expect(d).toMatchObject({ value: 3, threshold: 2, window: { minutes: 5 } });
    expect(d.reason).toContain('breach');
  });

  it('with adaptive polling, the warn brings the next poll forward to the fastest cadence', () => {
    const evs = simulate(g, planOf(prod), failingFrom(20));
    expect(firstBreach(evs, 'health_failures')).toBe(23.5);
  });

  it('two failures then an OK check never trip (the streak restarts)', () => {
    const evs = simulate(g, noAdaptive, (m, p) => ({ ...healthy(m, p), ...([21, 23, 27, 29].includes(m) ? { health: { ok: false, detail: 'timeout' } } : {}) }));
    expect(firstBreach(evs, 'health_failures')).toBeUndefined();
  });

  it('counts only the checks inside its 5-minute window', () => {
    const slow = { ...noAdaptive, polling: [{ intervalSeconds: 180 }] };
    const evs = simulate(g, slow, failingFrom(0));
    // 3-minute polls: at most 2 failing checks ever fall inside a 5-minute window.
    expect(firstBreach(evs, 'health_failures')).toBeUndefined();
    expect(evs.at(-1)!.decisions[0]!.value).toBe(2);
  });
});

describe('extraction_failure_rate (sum failed / sum total over 10 minutes)', () => {
  const g = [gate(prod, 'extraction_failure_rate')];
  // 3 % of extractions fail until T+19, 8 % afterwards; 1 extraction a second.
  const slowBurn = (m: number, p: number | undefined) => {
    const o = healthy(m, p);
    const before = p === undefined ? 0 : Math.max(0, Math.min(m, 19) - p) * 60;
    const after = p === undefined ? 0 : Math.max(0, m - Math.max(p, 19)) * 60;
    return { ...o, failures: 0.03 * before + 0.08 * after };
  };

  it('exactly 5 % does not trip; the first poll above 5 % does', () => {
    const evs = simulate(g, noAdaptive, slowBurn);
    expect(decisionAt(evs, 'extraction_failure_rate', 21)).toMatchObject({ status: 'warn' });
    expect(decisionAt(evs, 'extraction_failure_rate', 23)?.value).toBeCloseTo(5, 6);
    expect(decisionAt(evs, 'extraction_failure_rate', 23)?.status).toBe('warn');
    expect(firstBreach(evs, 'extraction_failure_rate')).toBe(25);
    const d = decisionAt(evs, 'extraction_failure_rate', 25)!;
    expect(d.value).toBeCloseTo(6, 6);
    expect(d.inputs).toMatchObject({ total: 600 });
  });

  it('adaptive polling catches it at T+23.5', () => {
    expect(firstBreach(simulate(g, planOf(prod), slowBurn), 'extraction_failure_rate')).toBe(23.5);
  });

  it('is a ratio of sums, not a mean of per-sample rates', () => {
    const obs = (pairs: [number, number][]): Observation[] => pairs.map(([failures, extractions], i) => ({ seq: i + 1, t: T0 + i * MIN, source: 'ok', values: {}, failures, extractions }));
    // 6 % then 0 % on little traffic: the mean of rates is 3 %, the window's ratio 5.94 %.
    expect(judgeGate(g[0]!, obs([[60, 1000], [0, 10]]), T0 + MIN).status).toBe('breach');
    // 10 % on 10 extractions, 1 % on 1000: the mean of rates is 5.5 %, the ratio 1.09 %.
    const d = judgeGate(g[0]!, obs([[1, 10], [10, 1000]]), T0 + MIN);
    expect(d.status).toBe('ok');
    expect(d.value).toBeCloseTo((100 * 11) / 1010, 6);
  });

  it('no traffic in the window is no-data, not ok and not a breach', () => {
    const d = judgeGate(g[0]!, [{ seq: 1, t: T0, source: 'ok', values: {}, extractions: 0, failures: 0 }], T0);
    expect(d.status).toBe('no-data');
  });
});

describe('p95_hash_time (p95 of the merged histogram of 15 minutes)', () => {
  const g = [gate(prod, 'p95_hash_time')];
  // From T+12, 10 % of hashes take 2200 ms instead of 300 ms.
  const regression = (m: number, p: number | undefined) => {
    const o = healthy(m, p);
    if (p === undefined) return o;
    const bad = Math.max(0, m - Math.max(p, 12)) * 60 * 0.1;
    const total = (m - p) * 60;
    return { ...o, hash: bucketsAt([[300, total - bad], [2200, bad]]) };
  };

  it('trips at the first poll where more than 5 % of the window is slow (T+21), not at T+19', () => {
    const evs = simulate(g, planOf(prod), regression);
    expect(decisionAt(evs, 'p95_hash_time', 19)?.status).toBe('ok');
    expect(firstBreach(evs, 'p95_hash_time')).toBe(21);
    // A sample belongs to the window when its poll time does: T+7..T+21 cover T+5..T+21.
    expect(decisionAt(evs, 'p95_hash_time', 21)!.inputs).toMatchObject({ observations: 960, samples: 8 });
  });

  it('is the p95 of the merged histogram, not the mean of per-sample p95s', () => {
    const obs: Observation[] = [
      { seq: 1, t: T0, source: 'ok', values: {}, hash: bucketsAt([[2250, 100]]) },
      { seq: 2, t: T0 + MIN, source: 'ok', values: {}, hash: bucketsAt([[8, 100]]) },
    ];
    // Per-sample p95s are 2475 and 9.75 (mean 1242); merged, rank 190 of 200 lies at 2450.
    const d = judgeGate(g[0]!, obs, T0 + MIN);
    expect(d.value).toBeCloseTo(2450, 6);
    expect(d.status).toBe('breach');
  });
});

describe('low_confidence_queue (one reading above 1000)', () => {
  const g = [gate(prod, 'low_confidence_queue')];
  it('1000 does not trip; the next reading above it does', () => {
    const evs = simulate(g, planOf(prod), (m, p) => ({ ...healthy(m, p), values: { low_confidence_queue: Math.round(100 * m) } }));
    expect(decisionAt(evs, 'low_confidence_queue', 9)?.status).toBe('warn');
    expect(decisionAt(evs, 'low_confidence_queue', 9)?.value).toBe(900);
    // At T+9 the queue warns (900 >= 800): adaptive polls every 30 s; T+10 reads exactly 1000.
    expect(decisionAt(evs, 'low_confidence_queue', 10)).toMatchObject({ status: 'warn', value: 1000 });
    expect(firstBreach(evs, 'low_confidence_queue')).toBe(10.5);
  });
  it('a single spike trips on that reading', () => {
    const evs = simulate(g, planOf(prod), (m, p) => ({ ...healthy(m, p), values: { low_confidence_queue: m === 31 ? 1001 : 5 } }));
    expect(firstBreach(evs, 'low_confidence_queue')).toBe(31);
  });
});

describe('resources, actions and outcomes', () => {
  it('cpu_percent (mean over 5 min, action alert) alerts and never asks for a rollback', () => {
    const evs = simulate(prod.gates, planOf(prod), (m, p) => ({ ...healthy(m, p), values: { ...healthy(m, p).values, cpu_percent: m >= 30 ? 99 : 20 } }));
    const actions = evs.flatMap((e) => e.actions);
    expect(actions.filter((a) => a.kind === 'rollback')).toEqual([]);
    expect(actions.find((a) => a.kind === 'alert' && a.cause === 'breach')?.gate).toBe('cpu_percent');
    // A breach is one action, not one per poll.
    expect(actions.filter((a) => a.cause === 'breach')).toHaveLength(1);
  });

  it('one evaluation asks for a rollback per breaching gate; the worst status wins', () => {
    const evs = simulate(prod.gates, planOf(prod), (m, p) => (m >= 10 ? { ...healthy(m, p), values: { low_confidence_queue: 5000, cpu_percent: 20 }, health: { ok: false, detail: 'down' } } : healthy(m, p)));
    const first = evs.find((e) => e.actions.some((a) => a.kind === 'rollback'))!;
    expect(first.worst).toBe('breach');
    // Polls after T+5 fall on odd minutes: T+11 is the first at or after T+10.
    expect((first.t - T0) / MIN).toBe(11);
    expect(first.actions.map((a) => a.gate)).toContain('low_confidence_queue');
  });

  it('a failing metrics source is error, never a breach, and alerts once after error_alert_after polls', () => {
    const g = prod.gates.filter((x) => x.name !== 'health_failures');
    const evs = simulate(g, planOf(prod), (m, p) =>
      m >= 20 && m < 40 ? { health: { ok: true, detail: 'ok' }, source: 'error', sourceDetail: 'HTTP 500', values: {} } : { ...healthy(m, p), values: { low_confidence_queue: 900 } },
    );
    const during = decisionAt(evs, 'low_confidence_queue', 21)!;
    expect(during.status).toBe('error');
    expect(during.reason).toContain('HTTP 500');
    const acts = evs.flatMap((e) => e.actions);
    expect(acts.some((a) => a.kind === 'rollback')).toBe(false);
    expect(evs.some((e) => e.decisions.some((d) => d.status === 'breach'))).toBe(false);
    const errAlerts = acts.filter((a) => a.cause === 'source-errors');
    expect(errAlerts.filter((a) => a.gate === 'low_confidence_queue')).toHaveLength(1);
    // The queue warned (adaptive 30 s polls) until the outage began at T+20; an error is not a warn,
    // so polling falls back to the phase grid: errors at T+20, T+21, T+23 -> the alert at T+23.
    const firstAlert = evs.find((e) => e.actions.some((a) => a.cause === 'source-errors'))!;
    expect((firstAlert.t - T0) / MIN).toBe(23);
  });

  it('on_error auto-rollback is the only way an outage rolls back', () => {
    const g = [{ ...gate(prod, 'p95_hash_time'), onError: 'auto-rollback' as const, errorAlertAfter: 2 }];
    const obs: Observation[] = [1, 2].map((i) => ({ seq: i, t: T0 + i * MIN, source: 'no-data', sourceDetail: 'empty body', values: {} }));
    const e1 = evaluate(g, obs.slice(0, 1), T0 + MIN, {});
    expect(e1.actions).toEqual([]);
    expect(e1.decisions[0]!.status).toBe('no-data');
    const e2 = evaluate(g, obs, T0 + 2 * MIN, e1.states);
    expect(e2.actions.map((a) => [a.kind, a.cause])).toEqual([['rollback', 'source-errors']]);
  });

  it('disabled gates are not judged', () => {
    const g = [{ ...gate(prod, 'low_confidence_queue'), enabled: false }];
    expect(evaluate(g, [{ seq: 1, t: T0, source: 'ok', values: { low_confidence_queue: 1e6 } }], T0, {}).decisions).toEqual([]);
  });
});

describe('enough data before a verdict', () => {
  const p95 = gate(prod, 'p95_hash_time');
  const slowObs = (n: number, i = 1): Observation => ({ seq: i, t: T0 + i * 1000, source: 'ok', values: {}, extractions: n, failures: n, hash: bucketsAt([[9000, n]]) });

  it('a p95 of 19 slow hashes is insufficient, never a breach; the 20th makes the verdict', () => {
    const e1 = evaluate([p95, gate(prod, 'extraction_failure_rate')], [slowObs(19)], T0 + 1000, {});
    expect(e1.decisions.map((d) => d.status)).toEqual(['insufficient', 'insufficient']);
    expect(e1.decisions[0]).toMatchObject({ observations: 19, minObservations: 20 });
    expect(e1.decisions[0]!.reason).toMatch(/19 of the 20 observations needed/);
    expect(e1.actions).toEqual([]);
    expect(e1.states.p95_hash_time!.judged).toBeUndefined();
    const e2 = evaluate([p95], [slowObs(19), slowObs(1, 2)], T0 + 2000, e1.states);
    expect(e2.decisions[0]).toMatchObject({ status: 'breach', observations: 20 });
    expect(e2.actions.map((a) => a.kind)).toEqual(['rollback']);
    expect(e2.states.p95_hash_time!.judged).toBe(true);
  });

  it('a value computed by the source counts its own observations; min_observations 0 turns the minimum off', () => {
    const pre: Observation = { seq: 1, t: T0, source: 'ok', values: { hash_time_ms: 5000 }, counts: { hash_time_ms: 3 } };
    expect(judgeGate(p95, [pre], T0).status).toBe('insufficient');
    expect(judgeGate({ ...p95, minObservations: 0 }, [pre], T0).status).toBe('breach');
    // A source that does not count (no _observations query): judged on the value alone.
    expect(judgeGate(p95, [{ ...pre, counts: {} }], T0).status).toBe('breach');
  });

  it('the health gate keeps its consecutive-count rule', () => {
    const h = gate(prod, 'health_failures');
    const obs: Observation[] = [1, 2, 3].map((i) => ({ seq: i, t: T0 + i * 1000, source: 'ok', values: {}, health: { ok: false, detail: '503' } }));
    expect(judgeGate(h, obs, T0 + 3000).status).toBe('breach');
  });
});
