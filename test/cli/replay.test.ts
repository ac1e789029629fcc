// `rollout replay` on windows recorded by real monitored rollouts of the embedded demo service
// (staging with a fast config): the current config reproduces every recorded verdict, a looser
// p95 candidate turns the 1.2.0-slow rollback into "passed", and the incident closed with
// `incident close --false-positive` counts as avoided.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;

function candidate(name: string, edit: (gates: Record<string, { threshold: number }>) => void): string {
  const cfg = JSON.parse(readFileSync(join(ws.root, 'quality-gates-config.json'), 'utf8')) as { environments: Record<string, { quality_gates: Record<string, { threshold: number }> }> };
  edit(cfg.environments.staging!.quality_gates);
  const p = join(ws.root, name);
  writeFileSync(p, JSON.stringify(cfg, null, 2));
  return p;
}

interface Out {
  windows: { id: string; version: string; started: string; reproduced: boolean; changed: boolean; recorded: { outcome: string; rollback: boolean; breach?: { gate: string } }; candidate: { outcome: string; rollback: boolean; partial?: string } }[];
  summary: { windows: number; reproduced: { exact: number; of: number }; rollbacksAvoided: { version: string; gate: string }[]; newBreaches: unknown[]; falsePositives: number; falsePositivesAvoided: { incident: string }[]; changed: number };
}

beforeAll(async () => {
  ws = await makeWorkspace();
  shortenMonitoring(ws.root, 'staging', { durationMinutes: 0.15, intervalSeconds: 0.5, maxWindowMinutes: 0.1 });
  const first = await runCli(['deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor'], { cwd: ws.root });
  expect(first.code, first.stderr).toBe(0);
  for (const [v, code] of [['1.1.0', 0], ['1.2.0-slow', 1], ['1.2.0-failing', 1]] as const) {
    const r = await runCli(['deploy', '--env', 'staging', '--version', v, '--yes', '--backup-first'], { cwd: ws.root, timeoutMs: 90_000 });
    expect(r.code, `${v}: ${r.stderr}`).toBe(code);
  }
}, 240_000);

afterAll(async () => {
  await runCli(['service', 'stop', '--env', 'staging'], { cwd: ws.root });
  ws.cleanup();
}, 30_000);

describe('rollout replay on real monitored rollouts', () => {
  it('the current config reproduces every recorded verdict at the same poll', async () => {
    const r = await runCli(['replay', '--env', 'staging', '--json'], { cwd: ws.root });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Out;
    expect(out.windows.map((w) => w.version)).toEqual(['1.1.0', '1.2.0-slow', '1.2.0-failing']);
    expect(out.windows.map((w) => w.recorded.outcome)).toEqual(['passed', 'breach', 'breach']);
    expect(out.windows.map((w) => w.recorded.breach?.gate)).toEqual([undefined, 'p95_hash_time', 'extraction_failure_rate']);
    expect(out.summary.reproduced).toMatchObject({ exact: 3, of: 3 });
    expect(out.windows.every((w) => w.reproduced && !w.changed)).toBe(true);
    expect(out.summary).toMatchObject({ changed: 0, rollbacksAvoided: [], newBreaches: [] });
    for (const w of out.windows) expect(Object.keys(w)).toEqual(expect.arrayContaining(['id', 'started', 'version', 'recorded', 'candidate']));
    // The human form: a line per window and the summary.
    const h = await runCli(['replay', '--env', 'staging'], { cwd: ws.root });
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Replay of 3 recorded monitor windows of staging against the current quality-gates-config.json/);
    expect(h.stdout).toMatch(/recorded: +ROLLBACK p95_hash_time at T\+00:0\d/);
    expect(h.stdout).toMatch(/Replay fidelity +3 of 3 windows reproduce/);
  });

  it('a looser p95 candidate turns the 1.2.0-slow rollback into passed; a closed false positive counts as avoided', async () => {
    const list = await runCli(['incident', 'list', '--env', 'staging', '--json'], { cwd: ws.root });
    const incidents = readdirSync(join(ws.root, 'incidents')).sort();
    expect(incidents.length, list.stdout).toBe(2);
    // The first incident is the 1.2.0-slow rollback: an operator judged it a false positive.
    const slowInc = incidents[0]!;
    expect(readFileSync(join(ws.root, 'incidents', slowInc, 'incident.json'), 'utf8')).toContain('p95_hash_time');
    const close = await runCli(['incident', 'close', slowInc, '--false-positive', '--note', 'slow dependency, known'], { cwd: ws.root });
    expect(close.code, close.stderr).toBe(0);

    const file = candidate('looser-p95.json', (g) => (g.p95_hash_time!.threshold = 9000));
    const r = await runCli(['replay', '--env', 'staging', '--candidate', file, '--json'], { cwd: ws.root });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Out;
    const slow = out.windows.find((w) => w.version === '1.2.0-slow')!;
    expect(slow.recorded).toMatchObject({ outcome: 'breach', rollback: true });
    expect(slow.candidate).toMatchObject({ outcome: 'passed', rollback: false });
    expect(slow.candidate.partial).toMatch(/judged on the \d+ polls recorded/);
    expect(out.windows.find((w) => w.version === '1.2.0-failing')!.changed).toBe(false);
    expect(out.summary.rollbacksAvoided).toEqual([expect.objectContaining({ version: '1.2.0-slow', gate: 'p95_hash_time' })]);
    expect(out.summary.falsePositives).toBe(1);
    expect(out.summary.falsePositivesAvoided).toEqual([expect.objectContaining({ incident: slowInc })]);
    const h = await runCli(['replay', '--env', 'staging', '--candidate', file], { cwd: ws.root });
    expect(h.stdout).toMatch(/Rollbacks avoided +1: .*1\.2\.0-slow \(p95_hash_time/);
    expect(h.stdout).toMatch(new RegExp(`False positives +1 of 1 closed as false positive avoided \\(${slowInc}\\)`));
  });

  it('a tighter failure-rate candidate: every window breaches, the healthy one is a new breach', async () => {
    const file = candidate('tighter-failures.json', (g) => (g.extraction_failure_rate!.threshold = 0));
    // 1.1.0 fails about 0.2 % of extractions (the demo's baseline): above a 0 % limit once one fails.
    const r = await runCli(['replay', '--env', 'staging', '--candidate', file, '--json'], { cwd: ws.root });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Out;
    const healthy = out.windows.find((w) => w.version === '1.1.0')!;
    expect(healthy.recorded.outcome).toBe('passed');
    // The demo's baseline failures are random: the journal says whether this window saw one.
    const journal = readFileSync(join(ws.root, 'logs', `${healthy.id}.log`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; observation?: { failures?: number } });
    const failed = journal.some((e) => e.event === 'sample' && (e.observation?.failures ?? 0) > 0);
    expect(healthy.candidate.outcome).toBe(failed ? 'breach' : 'passed');
    expect(out.summary.newBreaches).toHaveLength(failed ? 1 : 0);
    // The failing release still breaches, at the same poll or earlier.
    const failing = out.windows.find((w) => w.version === '1.2.0-failing')! as Out['windows'][number] & { shiftSeconds?: number };
    expect(failing.candidate).toMatchObject({ outcome: 'breach', rollback: true });
    expect(failing.shiftSeconds!).toBeLessThanOrEqual(0);
  });

  it('a bad candidate: one sentence naming the file and the JSON path, exit 2', async () => {
    const bad = join(ws.root, 'bad-candidate.json');
    writeFileSync(bad, JSON.stringify({ environments: { staging: { quality_gates: { p95_hash_time: { threshold: 'high' } } } } }, null, 2));
    const r = await runCli(['replay', '--env', 'staging', '--candidate', bad], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad-candidate\.json.*environments\.staging\.quality_gates\.p95_hash_time\.threshold/);
    const missing = await runCli(['replay', '--env', 'staging', '--candidate', join(ws.root, 'nope.json')], { cwd: ws.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json/);
    const noEnv = candidate('no-staging.json', () => undefined);
    const cfg = JSON.parse(readFileSync(noEnv, 'utf8')) as { environments: Record<string, unknown> };
    delete cfg.environments.staging;
    writeFileSync(noEnv, JSON.stringify(cfg));
    const e = await runCli(['replay', '--env', 'staging', '--candidate', noEnv], { cwd: ws.root });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/Unknown environment "staging": .*no-staging\.json/);
    const since = await runCli(['replay', '--env', 'staging', '--since', 'yesterday'], { cwd: ws.root });
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since "yesterday" is not a date/);
  });
});
