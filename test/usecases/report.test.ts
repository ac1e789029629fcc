// Given a workspace of recorded journals and incidents with known answers, when the report and
// incident timelines are built, then the seeds' figures come out exactly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { buildReport } from '../../src/usecases/report.js';
import { closeIncident, listIncidents, openIncident, readIncident } from '../../src/usecases/incident.js';
import { REPO, runCli } from '../helpers/cli.js';

let ws: Workspace;

function journal(name: string, env: string, events: [string, string, Record<string, unknown>][]): string {
  const path = join(ws.logsDir, name);
  writeFileSync(path, events.map(([ts, event, f]) => JSON.stringify({ ts, level: event.includes('failed') ? 'error' : 'info', event, env, run_id: 'r', ...f })).join('\n') + '\n');
  return path;
}

const decision = (gate: string, value: number, threshold: number, status = 'ok'): Record<string, unknown> => ({ gate, value, threshold, unit: gate === 'p95_hash_time' ? 'ms' : '%', status });

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'rollout-report-'));
  cpSync(join(REPO, 'quality-gates-config.json'), join(root, 'quality-gates-config.json'));
  cpSync(join(REPO, 'runbooks'), join(root, 'runbooks'), { recursive: true });
  ws = workspaceAt(root);
  mkdirSync(ws.logsDir, { recursive: true });
  // Four real deploys to production (one failed) and one dry-run that must not count.
  journal('deploy_production_20261101_100000.log', 'production', [['2026-11-01T10:00:00.000Z', 'deploy.start', { version: '1.0.0', dry_run: false }], ['2026-11-01T10:00:05.000Z', 'deploy.done', { version: '1.0.0' }]]);
  journal('deploy_production_20261102_100000.log', 'production', [['2026-11-02T10:00:00.000Z', 'deploy.start', { version: '1.2.0-slow', dry_run: false }], ['2026-11-02T10:00:05.000Z', 'deploy.done', { version: '1.2.0-slow' }]]);
  journal('deploy_production_20261103_100000.log', 'production', [['2026-11-03T10:00:00.000Z', 'deploy.start', { version: '1.1.0', dry_run: false }], ['2026-11-03T10:00:05.000Z', 'deploy.failed', { error: 'health wait timed out' }]]);
  journal('deploy_production_20261104_100000.log', 'production', [['2026-11-04T10:00:00.000Z', 'deploy.start', { version: '1.1.0', dry_run: false }], ['2026-11-04T10:00:05.000Z', 'deploy.done', { version: '1.1.0' }]]);
  journal('deploy_production_20261104_110000.log', 'production', [['2026-11-04T11:00:00.000Z', 'deploy.start', { version: '1.1.0', dry_run: true }], ['2026-11-04T11:00:01.000Z', 'deploy.dry_run_done', {}]]);
  journal('deploy_staging_20261104_100000.log', 'staging', [['2026-11-04T09:00:00.000Z', 'deploy.start', { version: '1.1.0', dry_run: false }], ['2026-11-04T09:00:05.000Z', 'deploy.done', {}]]);
  // A healthy window (baselines) and one that breached on p95.
  journal('monitor_production_20261101_100010.log', 'production', [
    ['2026-11-01T10:00:10.000Z', 'monitor-start', { t0_ms: 0 }],
    ...[100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].map((v, i): [string, string, Record<string, unknown>] => [`2026-11-01T10:0${i}:30.000Z`, 'evaluation', { decisions: [decision('p95_hash_time', v, 2000), decision('extraction_failure_rate', i / 10, 5)] }]),
    ['2026-11-01T11:00:10.000Z', 'monitor-done', { result: 'passed' }],
  ]);
  const slowLog = journal('monitor_production_20261102_100010.log', 'production', [
    ['2026-11-02T10:00:10.000Z', 'monitor-start', { t0_ms: 0 }],
    ['2026-11-02T10:01:00.000Z', 'evaluation', { decisions: [decision('p95_hash_time', 5000, 2000, 'breach')] }],
    ['2026-11-02T10:01:00.000Z', 'decision', { gate: 'p95_hash_time', decision: 'rollback', cause: 'breach', value: 5000, threshold: 2000, window_minutes: 15 }],
    ['2026-11-02T10:01:30.000Z', 'monitor-done', { result: 'rolled-back' }],
  ]);
  // A window that ended without enough data for p95 (exit 4): counted, and no baseline from it.
  journal('monitor_production_20261103_100010.log', 'production', [
    ['2026-11-03T10:00:10.000Z', 'monitor-start', { t0_ms: 0 }],
    ['2026-11-03T10:00:40.000Z', 'evaluation', { decisions: [decision('p95_hash_time', 9999, 2000, 'insufficient')] }],
    ['2026-11-03T11:00:10.000Z', 'monitor-done', { result: 'inconclusive', exit_code: 4 }],
  ]);
  // An automatic rollback (30 s to recover) and a manual one (90 s), later closed as a false positive.
  await openIncident(ws, { env: 'production', trigger: { kind: 'auto', gate: 'p95_hash_time', value: 5000, threshold: 2000, unit: 'ms', window_minutes: 15 }, detected_at: '2026-11-02T10:01:00.000Z', healthy_at: '2026-11-02T10:01:30.000Z', rollback_ok: true, smoke_ok: true, backup: 'backups/dhash_production_20261101_095900.zip', version_before: '1.2.0-slow', version_after: '1.0.0', logs: [slowLog], now: Date.parse('2026-11-02T10:01:31Z') });
  await openIncident(ws, { env: 'production', trigger: { kind: 'manual', operator: 'alice', reason: 'looked odd' }, detected_at: '2026-11-04T10:10:00.000Z', healthy_at: '2026-11-04T10:11:30.000Z', rollback_ok: true, logs: [], now: Date.parse('2026-11-04T10:11:31Z') });
});
afterAll(() => rmSync(ws.root, { recursive: true, force: true }));

describe('rollout report', () => {
  it('computes success rate, auto-rollback frequency, MTTR and false-positive rate from the journals', async () => {
    const manual = listIncidents(ws).find((i) => i.trigger.kind === 'manual')!;
    await closeIncident(ws, manual.id, { falsePositive: true, note: 'metrics outage', by: 'bob' });
    const auto = listIncidents(ws).find((i) => i.trigger.kind === 'auto')!;
    await closeIncident(ws, auto.id, { by: 'bob' });
    const r = await buildReport(ws, { env: 'production' });
    expect(r.deployments).toEqual({ total: 4, succeeded: 2, failed: 1, interrupted: 0, rolledBack: 1 });
    expect(r.deploymentSuccessRate).toBe(0.5);
    expect(r.rollbacks).toEqual({ total: 2, automatic: 1, manual: 1 });
    expect(r.autoRollbackFrequency).toBe(0.25);
    expect(r.mttrSeconds).toBe(60); // (30 + 90) / 2
    expect(r.falsePositiveRate).toBe(0.5);
    expect(r.gateTrips).toEqual({ p95_hash_time: 1 });
    expect(r.monitorWindows).toEqual({ total: 3, passed: 1, breached: 1, inconclusive: 1 });
    const p95 = r.baselines.find((b) => b.gate === 'p95_hash_time')!;
    expect(p95).toMatchObject({ samples: 10, p50: 500, p95: 1000, max: 1000, threshold: 2000, headroom: 2 });
  });

  it('filters by environment and date', async () => {
    expect((await buildReport(ws, { env: 'staging' })).deployments.total).toBe(1);
    expect((await buildReport(ws, { since: '2026-11-03T00:00:00.000Z' })).deployments.total).toBe(3);
  });

  it('writes an incident report with the trigger, the recovery time and a timeline from the journals', () => {
    const auto = listIncidents(ws).find((i) => i.trigger.kind === 'auto')!;
    const md = readFileSync(join(ws.incidentsDir, auto.id, 'report.md'), 'utf8');
    expect(md).toContain('gate **p95_hash_time** read 5000 ms against a threshold of 2000 over 15 min');
    expect(md).toContain('Time to recovery: 30.0 s');
    expect(md).toContain('| 10:01:00 | monitor | decision | gate=p95_hash_time value=5000 threshold=2000 window_minutes=15 |');
    expect(md).toContain('| 10:01:00 | monitor | evaluation | p95_hash_time=5000ms breach |');
    expect(md).toContain('## Root cause');
    expect(md).toContain('## Preventive actions');
    expect(readFileSync(join(ws.incidentsDir, auto.id, 'quality-gates-config.json'), 'utf8')).toBe(readFileSync(ws.configPath, 'utf8'));
    expect(readIncident(ws, auto.id).logs).toEqual(['logs/monitor_production_20261102_100010.log']);
  });

  it('rollout report --json and rollout incident list/show/close work through the CLI', async () => {
    const r = await runCli(['report', '--json', '--env', 'production'], { cwd: ws.root });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { deploymentSuccessRate: number; autoRollbackFrequency: number; mttrSeconds: number; falsePositiveRate: number };
    expect(j).toMatchObject({ deploymentSuccessRate: 0.5, autoRollbackFrequency: 0.25, mttrSeconds: 60, falsePositiveRate: 0.5 });
    const human = await runCli(['report'], { cwd: ws.root });
    expect(human.stdout).toContain('Deployment success rate 60.0 %');
    expect(human.stdout).toContain('Deployments per day:');
    const list = await runCli(['incident', 'list'], { cwd: ws.root });
    expect(list.stdout).toMatch(/INC-20261104-101131\s+production\s+closed/);
    const show = await runCli(['incident', 'show', 'INC-20261102-100131'], { cwd: ws.root });
    expect(show.stdout).toContain('# INC-20261102-100131: production rollback');
    const bad = await runCli(['incident', 'show', 'INC-nope'], { cwd: ws.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rollout: No incident "INC-nope"/);
    const badEnv = await runCli(['report', '--env', 'prod'], { cwd: ws.root });
    expect(badEnv.code).toBe(2);
    const badDate = await runCli(['report', '--since', 'yesterday'], { cwd: ws.root });
    expect(badDate.code).toBe(2);
  });
});
