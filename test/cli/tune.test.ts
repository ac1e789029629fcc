// `rollout tune` as a real process on a workspace whose logs/ holds real Monitor journals (fake
// clock, the seeds' production gates): five healthy windows with 1 % failures and 300 ms hashes,
// and one p95 regression. Known answers: p95 2000 -> 1600 ms, failure rate 5 -> 4 %, queue
// 1000 -> 800, cpu/memory/disk 90 -> 72 %, health kept; the regression still rolls back at the same poll.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { healthyMetrics, recordWindows, slowMetrics } from '../usecases/replay-windows.js';
import { shippedEnv } from '../gates/sim.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let rec: Awaited<ReturnType<typeof recordWindows>>;
let original: string;

beforeAll(async () => {
  ws = await makeWorkspace();
  const healthy = { name: 'healthy', world: { metrics: healthyMetrics(1) } };
  rec = await recordWindows(shippedEnv('production'), [healthy, healthy, healthy, { name: 'slow', world: { metrics: slowMetrics } }, healthy, healthy]);
  cpSync(rec.logsDir, join(ws.root, 'logs'), { recursive: true });
  original = readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8');
}, 60_000);

afterAll(() => {
  rec?.cleanup();
  ws?.cleanup();
});

interface TuneJson {
  ok: boolean;
  written: boolean;
  healthyWindows: number;
  proposals: { gate: string; current: number; proposed: number; changed: boolean; rationale: string; windowsChanged: number; series: number[] }[];
  diff: string;
  replay: { windows: number; newBreaches: unknown[]; rollbacksAvoided: unknown[]; shifts: { seconds: number; gate: string }[]; reproduced: { exact: number; of: number } };
  commitMessage: string;
}

describe('rollout tune', () => {
  it('proposes from the healthy windows, shows a diff and the replay, writes nothing without --write', async () => {
    const r = await runCli(['tune', '--env', 'production'], { cwd: ws.root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tuning production from 5 healthy of 6 recorded monitor windows \(margin 20 %, steps of 10-20 %\)/);
    expect(r.stdout).toMatch(/\* p95_hash_time: 2000 ms -> 1600 ms \(-20 %\): healthy p95 490 ms/);
    expect(r.stdout).toMatch(/\* extraction_failure_rate: 5% -> 4% \(-20 %\)/);
    expect(r.stdout).toMatch(/ {3}health_failures: keep 2 consecutive/);
    expect(r.stdout).toMatch(/^--- a\/quality-gates-config\.json/m);
    expect(r.stdout).toMatch(/^-.*"p95_hash_time": \{ "threshold": 2000,/m);
    expect(r.stdout).toMatch(/^\+.*"p95_hash_time": \{ "threshold": 1600,/m);
    expect(r.stdout).toMatch(/Replay of the proposal over 6 recorded windows: 0 decided differently, 0 rollbacks avoided, 0 new breaches/);
    expect(r.stdout).toMatch(/Nothing written: add --write/);
    expect(readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8')).toBe(original);
  });

  it('--json: proposals, the diff, the replay summary and the commit message', async () => {
    const r = await runCli(['tune', '--env', 'production', '--json'], { cwd: ws.root });
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as TuneJson;
    const by = Object.fromEntries(t.proposals.map((p) => [p.gate, p]));
    expect(Object.fromEntries(t.proposals.map((p) => [p.gate, p.proposed]))).toEqual({ health_failures: 2, extraction_failure_rate: 4, p95_hash_time: 1600, low_confidence_queue: 800, cpu_percent: 72, memory_percent: 72, disk_used_percent: 72 });
    expect(by.p95_hash_time!.series).toHaveLength(5);
    expect(by.p95_hash_time!.windowsChanged).toBe(0);
    expect(t.written).toBe(false);
    // The regression still rolls back with the proposal, at the same poll (its p95 jumps past both limits at once).
    expect(t.replay.shifts).toEqual([expect.objectContaining({ gate: 'p95_hash_time', seconds: 0 })]);
    expect(t.replay.reproduced).toEqual({ exact: 6, of: 6, mismatched: [], approximate: 0 });
    expect(t.commitMessage).toMatch(/^Tune production quality gates from 5 healthy monitor windows\n\n- extraction_failure_rate: 5% -> 4%/);
  });

  it('--write: only the thresholds change on disk, atomically; validate-config runs; the rationale is printed', async () => {
    const r = await runCli(['tune', '--env', 'production', '--write'], { cwd: ws.root });
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8');
    expect(after).not.toBe(original);
    expect(after.split('\n')).toHaveLength(original.split('\n').length);
    const changed = after.split('\n').filter((l, i) => l !== original.split('\n')[i]);
    expect(changed).toHaveLength(6);
    for (const l of changed) expect(l).toMatch(/"threshold": (4|1600|800|72),/);
    expect(JSON.parse(after).environments.staging).toEqual(JSON.parse(original).environments.staging);
    expect(r.stdout).toMatch(/Wrote quality-gates-config\.json; rollout validate-config:\nOK quality-gates-config\.json: production \(7 gates/);
    expect(r.stdout).toMatch(/Commit message:\n\nTune production quality gates/);
    expect(readdirSync(ws.root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const v = await runCli(['validate-config'], { cwd: ws.root });
    expect(v.code).toBe(0);
    writeFileSync(join(ws.root, 'quality-gates-config.json'), original);
  });

  it('bad input: --margin, --since, an unknown environment; too few healthy windows proposes nothing', async () => {
    const m = await runCli(['tune', '--env', 'production', '--margin', 'lots'], { cwd: ws.root });
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--margin expects a percentage above 0 and at most 500, got "lots"/);
    const e = await runCli(['tune', '--env', 'nowhere'], { cwd: ws.root });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/Unknown environment "nowhere"/);
    const few = await runCli(['tune', '--env', 'staging', '--write'], { cwd: ws.root });
    expect(few.code, few.stderr).toBe(0);
    expect(few.stdout).toMatch(/only 0 healthy windows \(at least 3 needed/);
    expect(few.stdout).toMatch(/No change proposed/);
    expect(readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8')).toBe(original);
    const wide = await runCli(['tune', '--env', 'production', '--margin', '100', '--json'], { cwd: ws.root });
    const t = JSON.parse(wide.stdout) as TuneJson;
    expect(t.proposals.find((p) => p.gate === 'p95_hash_time')!.proposed).toBe(980);
  });
});
