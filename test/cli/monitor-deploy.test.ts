// End to end on the embedded service: `rollout deploy --backup-first` of each bad release runs the
// monitor, which rolls back to the release that ran before (exit 1, an incident, a monitor log
// naming the gate); a good release passes its window (exit 0). Staging gets a short window, 0.5 s
// polling and windows of seconds, and keeps its own (looser) thresholds: every bad release must
// trip staging's gates as shipped, as an operator checking the demo would run it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;

beforeAll(async () => {
  ws = await makeWorkspace();
  shortenMonitoring(ws.root, 'staging', { durationMinutes: 0.15, intervalSeconds: 0.5, maxWindowMinutes: 0.1 });
  const first = await runCli(['deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor'], { cwd: ws.root, timeoutMs: 60_000 });
  expect(first.code).toBe(0);
}, 90_000);

afterAll(async () => {
  await runCli(['service', 'stop', '--env', 'staging'], { cwd: ws.root });
  ws.cleanup();
}, 30_000);

async function running(): Promise<string> {
  const r = await runCli(['service', 'status', '--env', 'staging'], { cwd: ws.root });
  return /running (\S+)/.exec(r.stdout)?.[1] ?? `not running: ${r.stdout}`;
}

describe('deploy, then the monitor rolls back a bad release', () => {
  it.each([
    ['1.2.0-flaky', 'health_failures'],
    ['1.2.0-failing', 'extraction_failure_rate'],
    ['1.2.0-slow', 'p95_hash_time'],
    ['1.2.0-backlog', 'low_confidence_queue'],
  ])('%s: exit 1, 1.0.0 running again, an incident, the monitor log names %s', async (version, gate) => {
    const incidentsBefore = existsSync(join(ws.root, 'incidents')) ? readdirSync(join(ws.root, 'incidents')).length : 0;
    const r = await runCli(['deploy', '--env', 'staging', '--version', version, '--yes', '--backup-first'], { cwd: ws.root, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^rollout: staging was rolled back because ${gate} breached`));
    expect(await running()).toBe('1.0.0');
    expect(readdirSync(join(ws.root, 'incidents')).length).toBe(incidentsBefore + 1);
    const logs = readdirSync(join(ws.root, 'logs')).filter((f) => f.startsWith('monitor_staging_')).sort();
    const events = readFileSync(join(ws.root, 'logs', logs.at(-1)!), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const decision = events.find((e) => e.event === 'decision' && e.decision === 'rollback');
    expect(decision?.gate).toBe(gate);
    expect(events.filter((e) => e.event === 'rollback-start')).toHaveLength(1);
    expect(events.find((e) => e.event === 'monitor-done')).toMatchObject({ result: 'rolled-back', exit_code: 1 });
    // The incident holds the rollout's journals (deploy, monitor, rollback) and a timeline that
    // names the gate with its value and threshold.
    const inc = readdirSync(join(ws.root, 'incidents')).sort().at(-1)!;
    const kept = readdirSync(join(ws.root, 'incidents', inc, 'logs'));
    for (const kind of ['deploy_staging_', 'monitor_staging_', 'rollback_staging_']) expect(kept.some((f) => f.startsWith(kind)), kind).toBe(true);
    const report = readFileSync(join(ws.root, 'incidents', inc, 'report.md'), 'utf8');
    expect(report).toContain(`Automatic rollback: gate **${gate}**`);
    expect(report).toMatch(new RegExp(`\\| monitor \\| ERROR decision \\| gate=${gate} .*threshold=`));
    expect(report).toMatch(/\| deploy \| deploy\.start \|/);
  }, 90_000);

  it('1.1.0 passes its window: exit 0, still running', async () => {
    const r = await runCli(['deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--backup-first'], { cwd: ws.root, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/staging passed its 00:09 monitoring window/);
    expect(await running()).toBe('1.1.0');
  }, 90_000);
});
