// Replay over recorded windows: replaying each window with the gates it ran under reproduces every
// recorded evaluation and decision at the same poll; candidates change what they should.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatesConfig } from '../../src/config/gates.js';
import type { EnvironmentGates, Gate } from '../../src/config/gates-schema.js';
import type { IncidentRecord } from '../../src/usecases/incident.js';
import { readWindows, recordedVerdict, replayEnvironment, replayWindow, reproduces, type RecordedWindow } from '../../src/usecases/replay.js';
import { bucketsAt, shippedEnv } from '../gates/sim.js';
import { MIN } from './monitor-fakes.js';
import { healthyMetrics, recordWindows, slowMetrics, type Scenario } from './replay-windows.js';

const prod = shippedEnv('production');

function withGate(env: EnvironmentGates, name: string, patch: Partial<Gate>): EnvironmentGates {
  return { ...env, gates: env.gates.map((g) => (g.name === name ? { ...g, ...patch } : g)) };
}

const SCENARIOS: Scenario[] = [
  { name: 'healthy', world: { metrics: healthyMetrics() } },
  { name: 'healthy, 1 % failures', world: { metrics: healthyMetrics(1) } },
  { name: 'p95 regression', world: { metrics: slowMetrics } },
  { name: 'health fails from T+20', world: { health: (m) => m < 20, metrics: healthyMetrics() } },
  { name: 'failure rate 30 % from T+8', world: { metrics: (m, p) => ({ ...healthyMetrics(m >= 8 ? 30 : 0)(m, p) }) } },
  { name: 'every gate at once', world: { health: (m) => m < 10, metrics: (m, p) => (m < 10 ? healthyMetrics()(m, p) : { values: { low_confidence_queue: 5000, cpu_percent: 99 }, extractions: 100, failures: 90, hash: bucketsAt([[9000, 100]]) }) } },
  { name: 'queue warns (adaptive cadence)', world: { metrics: (m, p) => ({ ...healthyMetrics()(m, p), values: { ...healthyMetrics()(m, p).values, low_confidence_queue: m >= 20 && m < 30 ? 900 : 10 } }) } },
  { name: 'cpu alert only', world: { metrics: (m, p) => ({ ...healthyMetrics()(m, p), values: { ...healthyMetrics()(m, p).values, low_confidence_queue: 10, cpu_percent: m > 30 ? 97 : 20 } }) } },
  { name: 'metrics outage', world: { metrics: (m, p) => (m >= 10 && m < 40 ? { status: 'error' as const, detail: 'HTTP 500', t: 0 } : healthyMetrics()(m, p)) } },
  { name: 'no rollback engine', world: { health: (m) => m < 20, metrics: healthyMetrics() }, opts: { noRollback: true } },
  { name: 'rollback that fails to verify', world: { health: (m) => m < 20, metrics: healthyMetrics() }, opts: { healthAfterRollback: false } },
  {
    name: 'manual rollback',
    world: { metrics: healthyMetrics() },
    during: async (rig) => {
      await rig.clock.advance(7 * MIN);
      void rig.monitor.requestRollback('bad feeling');
    },
  },
  { name: 'extended window', world: { metrics: healthyMetrics() }, during: async (rig) => { await rig.clock.advance(50 * MIN); rig.monitor.extend(10); } },
  { name: 'short window', world: { metrics: slowMetrics }, opts: { durationMinutes: 3 } },
  // No traffic at all: the windowed gates never have enough observations (inconclusive, exit 4).
  { name: 'no traffic', world: { metrics: () => ({ values: { low_confidence_queue: 10, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40 }, extractions: 0, failures: 0 }) } },
  // Traffic from T+10 only: insufficient at first, then judged.
  { name: 'traffic from T+10', world: { metrics: (m, p) => (m < 10 ? { values: { low_confidence_queue: 10, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40 }, extractions: 0, failures: 0 } : healthyMetrics()(m, p)) } },
  { name: 'killed at T+23, resumed', world: { health: (m) => m < 20, metrics: healthyMetrics() }, crashAt: 23 },
  // The config was edited between the crash and the resume: the resumed part runs under the new gates.
  { name: 'resumed under a looser p95', world: { metrics: slowMetrics }, crashAt: 15, resumeGates: withGate(prod, 'p95_hash_time', { threshold: 5000 }) },
];

let rec: Awaited<ReturnType<typeof recordWindows>>;
const windows: RecordedWindow[] = [];

beforeAll(async () => {
  rec = await recordWindows(prod, SCENARIOS);
  for (const f of rec.files) for await (const w of readWindows(f, { decisions: true })) windows.push(w);
}, 60_000);
afterAll(() => rec?.cleanup());

describe('replay is exact', () => {
  it('every recorded window, replayed with its own gates, reproduces every evaluation and the decision at the same poll', () => {
    expect(windows).toHaveLength(SCENARIOS.length);
    let evaluations = 0;
    for (const [i, w] of windows.entries()) {
      const name = SCENARIOS[i]!.name;
      expect(w.configs[0]?.exact, name).toBe(true);
      const run = replayWindow(w, (seq) => [...w.configs].reverse().find((c) => c.fromSeq <= seq)?.gates, { keepEvaluations: true });
      const judged = w.polls.filter((p) => p.evaluated);
      // The replay stops where the monitor stopped; every poll the monitor judged is judged alike.
      expect(run.evaluations.map((e) => e.seq), name).toEqual(judged.map((p) => p.seq));
      for (const [k, e] of run.evaluations.entries()) expect(e.decisions, `${name} poll ${e.seq}`).toEqual(judged[k]!.decisions);
      evaluations += run.evaluations.length;
      const recorded = recordedVerdict(w);
      expect(reproduces(recorded, run.verdict), name).toBe(true);
    }
    expect(evaluations).toBeGreaterThan(300);
  });

  it('the recorded verdicts are the ones the monitor reported', () => {
    const v = windows.map((w) => recordedVerdict(w));
    const by = (n: string) => v[SCENARIOS.findIndex((s) => s.name === n)]!;
    expect(by('healthy')).toMatchObject({ outcome: 'passed', rollback: false, result: 'passed' });
    expect(by('p95 regression')).toMatchObject({ outcome: 'breach', rollback: true, breach: { gate: 'p95_hash_time', tPlus: '21:00' } });
    expect(by('no rollback engine')).toMatchObject({ outcome: 'breach', rollback: false, result: 'breached', breach: { gate: 'health_failures' } });
    expect(by('cpu alert only')).toMatchObject({ outcome: 'breach', rollback: false, breach: { gate: 'cpu_percent', action: 'alert' } });
    expect(by('manual rollback')).toMatchObject({ outcome: 'manual-rollback', rollback: false });
    expect(by('metrics outage')).toMatchObject({ outcome: 'passed' });
    expect(by('killed at T+23, resumed')).toMatchObject({ outcome: 'breach', rollback: true, breach: { gate: 'health_failures', tPlus: '24:00' } });
    expect(by('resumed under a looser p95')).toMatchObject({ outcome: 'passed' });
    expect(by('no traffic')).toMatchObject({ outcome: 'inconclusive', result: 'inconclusive', insufficient: ['extraction_failure_rate', 'p95_hash_time'] });
    expect(by('traffic from T+10')).toMatchObject({ outcome: 'passed' });
    // The insufficient state itself is among the evaluations reproduced above.
    expect(windows[SCENARIOS.findIndex((x) => x.name === 'traffic from T+10')]!.polls[0]!.decisions!.some((d) => d.status === 'insufficient')).toBe(true);
    // And they agree with the monitor's own summaries.
    for (const [i, s] of rec.summaries.entries()) {
      const want = s!.result === 'passed' || s!.result === 'inconclusive' ? s!.result : s!.rollback?.trigger === 'manual' ? 'manual-rollback' : 'breach';
      expect(v[i]!.outcome, SCENARIOS[i]!.name).toBe(want);
    }
  });

  it('replayEnvironment with the current config reproduces every window and changes nothing', async () => {
    const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: prod, candidateLabel: 'the current config' });
    expect(r.summary.windows).toBe(SCENARIOS.length);
    expect(r.summary.reproduced).toEqual({ exact: SCENARIOS.length, of: SCENARIOS.length, mismatched: [], approximate: 0 });
    // Only the window resumed under another config decides differently under the current one.
    expect(r.windows.filter((w) => w.changed).map((w) => SCENARIOS[r.windows.indexOf(w)]!.name)).toEqual(['resumed under a looser p95']);
    expect(r.summary.rollbacksAvoided).toEqual([]);
  });
});

describe('candidates', () => {
  it('a looser p95 turns the p95 rollback into passed, judged on the polls recorded', async () => {
    const looser = withGate(prod, 'p95_hash_time', { threshold: 2500 });
    const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: looser, candidateLabel: 'looser.json' });
    const w = r.windows[SCENARIOS.findIndex((s) => s.name === 'p95 regression')]!;
    expect(w.recorded).toMatchObject({ outcome: 'breach', rollback: true });
    expect(w.candidate).toMatchObject({ outcome: 'passed', rollback: false });
    expect(w.candidate.partial).toMatch(/judged on the 19 polls recorded, up to T\+21:00 of 60:00/);
    expect(w.changed).toBe(true);
    expect(r.summary.rollbacksAvoided.map((x) => x.gate)).toEqual(['p95_hash_time']);
    expect(r.summary.newBreaches).toEqual([]);
  });

  it('a tighter failure rate turns a healthy window with 1 % failures into a breach at its first judged poll', async () => {
    const tighter = withGate(prod, 'extraction_failure_rate', { threshold: 0.5 });
    const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: tighter, candidateLabel: 'tighter.json' });
    const w = r.windows[SCENARIOS.findIndex((s) => s.name === 'healthy, 1 % failures')]!;
    expect(w.recorded.outcome).toBe('passed');
    expect(w.candidate).toMatchObject({ outcome: 'breach', rollback: true, breach: { gate: 'extraction_failure_rate', tPlus: '00:30', value: 1, threshold: 0.5 } });
    expect(r.summary.newBreaches).toContainEqual(expect.objectContaining({ gate: 'extraction_failure_rate', tPlus: '00:30', rollback: true }));
    // The clean healthy window stays clean.
    expect(r.windows[0]!.changed).toBe(false);
  });

  it('shows how much earlier a remaining breach fires', async () => {
    // A 2-minute window sees the slow hashes pass 5 % of the window at T+15 instead of T+21.
    const tighter = withGate(prod, 'p95_hash_time', { windowMinutes: 2 });
    const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: tighter, candidateLabel: 'tighter-p95.json' });
    const shift = r.summary.shifts.find((s) => s.id === r.windows[SCENARIOS.findIndex((x) => x.name === 'p95 regression')]!.id)!;
    expect(shift.recorded).toBe('21:00');
    expect(shift).toMatchObject({ candidate: '15:00', seconds: -360, gate: 'p95_hash_time' });
  });

  it('an incident closed as a false positive counts as avoided by a candidate that passes it', async () => {
    const looser = withGate(prod, 'p95_hash_time', { threshold: 2500 });
    const slow = windows[SCENARIOS.findIndex((s) => s.name === 'p95 regression')]!;
    const health = windows[SCENARIOS.findIndex((s) => s.name === 'health fails from T+20')]!;
    const inc = (id: string, w: RecordedWindow, fp: boolean): IncidentRecord => ({ id, env: 'production', status: 'closed', opened_at: new Date(w.t0).toISOString(), trigger: { kind: 'auto' }, detected_at: new Date(w.t0).toISOString(), rollback_ok: true, logs: [`logs/${w.file.split('/').pop()}`], false_positive: fp });
    const incidents = [inc('INC-20261123-120100', slow, true), inc('INC-20261123-120200', health, true)];
    const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: looser, candidateLabel: 'looser.json', incidents });
    expect(r.summary.falsePositives).toBe(2);
    expect(r.summary.falsePositivesAvoided).toEqual([{ incident: 'INC-20261123-120100', id: slow.id }]);
    expect(r.summary.falsePositivesStillTripped).toEqual([{ incident: 'INC-20261123-120200', id: health.id, gate: 'health_failures' }]);
  });

  it('--since keeps only windows started at or after the date', async () => {
    const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: prod, candidateLabel: 'x', since: '2030-01-01' });
    expect(r.summary.windows).toBe(0);
  });

  it('a journal from before gate_config is replayed from its summary, marked approximate', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const f = rec.files[2]!;
    const text = readFileSync(f, 'utf8');
    const stripped = text.split('\n').map((l) => (l.includes('"event":"monitor-start"') ? JSON.stringify({ ...JSON.parse(l), gate_config: undefined }) : l)).join('\n');
    writeFileSync(f, stripped);
    try {
      const r = await replayEnvironment({ env: 'production', logsDir: rec.logsDir, candidate: prod, candidateLabel: 'x' });
      const w = r.windows[2]!;
      expect(w.recordedConfig).toBe('approximate');
      expect(w.reproduced).toBe(true);
      expect(r.summary.reproduced.approximate).toBe(1);
    } finally {
      writeFileSync(f, text);
    }
  });
});

// Keep parseGatesConfig used for a candidate parsed from text, as the CLI does.
describe('a candidate from text', () => {
  it('parses like quality-gates-config.json', () => {
    const cfg = parseGatesConfig(JSON.stringify({ environments: { production: { quality_gates: { p95_hash_time: { threshold: 2500, window_minutes: 15 } } } } }), 'candidate.json');
    expect(cfg.environments.production!.gates.find((g) => g.name === 'p95_hash_time')!.threshold).toBe(2500);
  });
});

describe('damaged and crafted journals', () => {
  it('a torn last line (kill -9), a crafted gate_config, a __proto__ gate and a garbage sample: named, never a crash', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'replay-hostile-'));
    try {
      const healthy = readFileSync(rec.files[0]!, 'utf8');
      const slow = readFileSync(rec.files[2]!, 'utf8');
      // 1. Killed mid-write: no monitor-done, the last line cut in half.
      const lines = slow.trimEnd().split('\n');
      const cut = lines.findIndex((l) => l.includes('"event":"evaluation"') && l.includes('"seq":10,'));
      writeFileSync(join(dir, 'monitor_production_20261123_120000.log'), `${lines.slice(0, cut).join('\n')}\n${lines[cut]!.slice(0, 200)}`);
      // 2. gate_config that is not gates (and a summary gate named __proto__).
      const crafted = healthy.split('\n').map((l) => {
        if (!l.includes('"event":"monitor-start"')) return l;
        const o = JSON.parse(l) as Record<string, unknown> & { gates: unknown[] };
        return JSON.stringify({ ...o, gate_config: [{ name: '__proto__', threshold: 'x' }], gates: [...o.gates, { name: '__proto__', threshold: 1, window_minutes: 0 }] });
      });
      writeFileSync(join(dir, 'monitor_production_20261123_120001.log'), crafted.join('\n'));
      // 3. Samples whose histograms have no bounds (the engine cannot merge them).
      const garbage = healthy.split('\n').map((l) => (l.includes('"event":"sample"') && /"seq":[34],/.test(l) ? l.replace(/"bounds":\[[^\]]*\]/, '"bounds":null') : l));
      writeFileSync(join(dir, 'monitor_production_20261123_120002.log'), garbage.join('\n'));
      writeFileSync(join(dir, 'monitor_production_20261123_120003.log'), healthy);
      const r = await replayEnvironment({ env: 'production', logsDir: dir, candidate: prod, candidateLabel: 'x' });
      const [killed, craftedW, ...rest] = r.windows;
      expect(killed!.recorded).toMatchObject({ outcome: 'unfinished', polls: 9 });
      expect(killed!.reproduced).toBe(true);
      expect(craftedW!.recordedConfig).toBe('approximate');
      expect(craftedW!.reproduced).toBe(true);
      // The damaged window is named with why; the clean one after it still replays.
      expect(r.summary.unreadable).toEqual([{ id: 'monitor_production_20261123_120002', reason: expect.stringMatching(/null/) }]);
      expect(rest.map((w) => w.id)).toEqual(['monitor_production_20261123_120003']);
      expect(rest[0]!.reproduced).toBe(true);
      expect(r.summary.windows).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
