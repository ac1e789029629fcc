// The pure parts of a fleet rollout: waves over a host list (cumulative counts, the canary, the
// 100 % rule), several hosts' polls as one observation, and the baseline comparison.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Gate } from '../../src/config/gates-schema.js';
import type { Observation } from '../../src/gates/types.js';
import { combinePolls, compareWithBaseline, planWaves } from '../../src/usecases/fleet-plan.js';

const H4 = ['a', 'b', 'c', 'd'];
const W = (o: { hosts?: number; percent?: number; name?: string }) => ({ watch_minutes: 0.1, ...o });

describe('planWaves', () => {
  it('canary 1 host, then 50 %, then 100 % of 4 hosts: a / b / c, d', () => {
    const p = planWaves([W({ hosts: 1 }), W({ percent: 50 }), W({ percent: 100 })], H4, 'rb');
    expect(p.map((w) => [w.name, w.hosts, w.cumulative])).toEqual([
      ['canary', ['a'], ['a']],
      ['wave-2', ['b'], ['a', 'b']],
      ['wave-3', ['c', 'd'], ['a', 'b', 'c', 'd']],
    ]);
  });

  it('a wave that adds nobody is left out; percentages round up', () => {
    const p = planWaves([W({ hosts: 1 }), W({ percent: 25 }), W({ percent: 100 })], ['a', 'b'], 'rb');
    expect(p.map((w) => w.hosts)).toEqual([['a'], ['b']]);
    expect(planWaves([W({ percent: 34 }), W({ percent: 100 })], ['a', 'b', 'c'], 'rb').map((w) => w.hosts.length)).toEqual([2, 1]);
  });

  it('refuses waves that shrink, and waves that never reach every host, naming the runbook path', () => {
    expect(() => planWaves([W({ hosts: 3 }), W({ percent: 50 }), W({ percent: 100 })], H4, 'runbooks/dhash.yaml: environments.fleet.target')).toThrow(/environments\.fleet\.target\.waves\[1\] takes 2 hosts, fewer than the 3/);
    expect(() => planWaves([W({ hosts: 1 }), W({ percent: 50 })], H4, 'rb')).toThrow(/end with 2 of the 4 hosts: end with \{percent: 100\}/);
  });

  it('for any host count and increasing waves ending at 100 %, every host is in exactly one wave, in inventory order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 5 }), (n, ps) => {
        const hosts = Array.from({ length: n }, (_, i) => `h${i}`);
        const waves = [...[...ps].sort((x, y) => x - y).map((p) => W({ percent: p })), W({ percent: 100 })];
        const plan = planWaves(waves, hosts, 'rb');
        expect(plan.flatMap((w) => w.hosts)).toEqual(hosts);
        expect(plan.every((w) => w.hosts.length > 0)).toBe(true);
        expect(plan.at(-1)!.cumulative).toEqual(hosts);
      }),
    );
  });
});

const hash = (counts: number[]) => ({ bounds: [100, 250, 500, 750], counts });
const ok = (s: Partial<{ extractions: number; failures: number; hash: ReturnType<typeof hash>; values: Record<string, number> }>) => ({ status: 'ok' as const, sample: { t: 0, values: {}, ...s } });

describe('combinePolls', () => {
  it('sums counters, merges histograms, takes the worst gauge, and is healthy only when every host is', () => {
    const o = combinePolls(
      [
        { host: 'a', health: { ok: true, detail: 'ok' }, metrics: ok({ extractions: 100, failures: 1, hash: hash([0, 10, 0, 0, 0]), values: { low_confidence_queue: 5 } }) },
        { host: 'b', health: { ok: false, detail: 'HTTP 503' }, metrics: ok({ extractions: 50, failures: 14, hash: hash([0, 0, 10, 0, 0]), values: { low_confidence_queue: 40 } }) },
      ],
      3,
      1000,
    );
    expect(o).toMatchObject({ seq: 3, t: 1000, source: 'ok', extractions: 150, failures: 15, health: { ok: false, detail: 'b: HTTP 503' } });
    expect(o.hash!.counts).toEqual([0, 10, 10, 0, 0]);
    expect(o.values.low_confidence_queue).toBe(40);
    expect(o.values.extraction_failure_rate).toBeCloseTo(10);
  });

  it('one host whose metrics failed makes the read an error naming the host, never numbers', () => {
    const o = combinePolls([{ host: 'a', metrics: ok({ extractions: 10, failures: 0 }) }, { host: 'b', metrics: { status: 'error', detail: 'connection refused', t: 0 } }], 1, 0);
    expect(o).toMatchObject({ source: 'error', sourceDetail: 'b: connection refused' });
    expect(o.extractions).toBeUndefined();
  });
});

const p95Gate: Gate = { name: 'p95_hash_time', threshold: 2000, windowMinutes: 1, action: 'auto-rollback', enabled: true, warnRatio: 0.8, signal: 'hash_time_ms', aggregate: 'p95', comparison: '>', onError: 'ignore', errorAlertAfter: 3, minObservations: 20, unit: 'ms' };
const obs = (t: number, counts: number[]): Observation => ({ seq: t, t, source: 'ok', values: {}, hash: { bounds: [100, 250, 500, 750, 1000], counts } });

describe('compareWithBaseline', () => {
  it('breaches when the release hosts are slower than the baseline hosts by more than the margin, far under the fixed threshold', () => {
    const canary = [obs(1000, [0, 0, 0, 30, 0, 0])]; // all in (500, 750]
    const base = [obs(1000, [0, 0, 30, 0, 0, 0])]; // all in (250, 500]
    const [d] = compareWithBaseline([p95Gate], ['p95_hash_time'], 20, canary, base, 1000);
    expect(d).toMatchObject({ gate: 'p95_hash_time', status: 'breach' });
    expect(d!.canary!).toBeLessThan(2000);
    expect(d!.canary!).toBeGreaterThan(d!.limit!);
    expect(d!.limit!).toBeCloseTo(d!.baseline! * 1.2);
  });

  it('within the margin is ok; too few observations on either side is not judged (never a breach)', () => {
    const same = [obs(1000, [0, 0, 30, 0, 0, 0])];
    expect(compareWithBaseline([p95Gate], ['p95_hash_time'], 20, same, same, 1000)[0]!.status).toBe('ok');
    const few = [obs(1000, [0, 0, 0, 5, 0, 0])];
    expect(compareWithBaseline([p95Gate], ['p95_hash_time'], 20, few, same, 1000)[0]!.status).toBe('not-judged');
  });
});
