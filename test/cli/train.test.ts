// `rollout train`: every shipped scenario, played on the real monitor at high speed, behaves as
// it says it should; the trainee's rollback key; nothing on any target changes.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, makeWorkspace, runCli } from '../helpers/cli.js';
import { ROLLBACK_STAGES } from '../../src/usecases/rollback.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>> | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

function result(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('rollout train', () => {
  it.each([
    ['p95-regression', 'p95_hash_time', 12],
    ['flapping-health', 'health_failures', 20],
    ['slow-burn-failure-rate', 'extraction_failure_rate', 20],
    ['queue-backlog', 'low_confidence_queue', 20],
  ])('%s: auto-rollback by the right gate, not too early, simulated only', async (scenario, gate, notBefore) => {
    ws = await makeWorkspace();
    const r = await runCli(['train', '--scenario', scenario, '--speed', '3000', '--json'], { cwd: ws.root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // --json prints exactly one object.
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const res = result(r.stdout);
    expect(res).toMatchObject({ type: 'result', ok: true, scenario, result: 'rolled-back', rollback: { trigger: 'auto', gate, dryRun: true } });
    // Nobody pressed a key: the decision point is scored (waiting is right except for p95-regression).
    const score = res.score as { points: number; of: number; items: { what: string; ok: boolean }[] };
    expect(score.of).toBe(3);
    expect(score.items[0]!.what).toMatch(/^decision at T\+\d\d:00/);
    expect(score.items[0]!.ok).toBe(scenario !== 'p95-regression');
    expect(score.points).toBe(scenario === 'p95-regression' ? 1 : 3);
    expect((res.timeline as { what: string }[]).some((t) => t.what.startsWith('decision point:'))).toBe(true);
    const breaches = res.breaches as { gate: string; minute: number }[];
    expect(breaches[0]!.gate).toBe(gate);
    expect(breaches[0]!.minute).toBeGreaterThanOrEqual(notBefore);
    // Nothing changed anywhere: no deployment, backup, rollback archive or notification file.
    for (const d of ['deployments', 'backups', 'rollbacks', 'incidents', 'notifications']) expect(existsSync(join(ws.root, d))).toBe(false);
    expect(readdirSync(join(ws.root, 'logs')).filter((f) => f.startsWith('train_staging_'))).toHaveLength(1);
  });

  it('metrics-outage: error/no-data and an alert, never a rollback; the debrief says so', async () => {
    ws = await makeWorkspace();
    const r = await runCli(['train', '--scenario', 'metrics-outage', '--speed', '3000'], { cwd: ws.root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/What happened:[\s\S]*→ error[\s\S]*alert: The metrics source .* not a breach/);
    expect(r.stdout).toContain('No gate breached: auto-rollback would not have run.');
    expect(r.stdout).toMatch(/As expected: the scenario calls for no rollback; no rollback ran/);
    expect(r.stdout).not.toMatch(/rollback: requested/);
    // The decision point is put to the trainee, and waiting scores.
    expect(r.stdout).toContain('DECIDE NOW: the metrics endpoint fails and the gates read error; health checks still pass.');
    expect(r.stdout).toMatch(/SCORE: 3\/3\n\s+\[ok\]\s+decision at T\+10:00 \(wait\): you waited\./);
  });

  it('without --scenario the drill is p95-regression, the same default as the TUI and the README', async () => {
    ws = await makeWorkspace();
    const r = await runCli(['train', '--speed', '3000', '--json'], { cwd: ws.root });
    expect(r.code).toBe(0);
    expect(result(r.stdout)).toMatchObject({ scenario: 'p95-regression' });
  });

  it('the trainee presses r and types the environment name as production asks (a typo changes nothing): the same rollback path, recorded in the debrief', async () => {
    ws = await makeWorkspace();
    const child = spawn(process.execPath, [cliPath(), 'train', '--scenario', 'metrics-outage', '--speed', '300'], { cwd: ws.root, env: { ...process.env, NO_COLOR: '1', ROLLOUT_STATE_DIR: join(tmpdir(), 'rollout-test-state') }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let step = 0;
    const asked = (): number => out.split("Confirm the rollback: type the environment's name (staging)").length - 1;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (step === 0 && /poll 3 /.test(out)) {
        step = 1;
        child.stdin.write('r\n');
      } else if (step === 1 && asked() === 1) {
        step = 2;
        child.stdin.write('stagign\n');
      } else if (step === 2 && /Not confirmed/.test(out)) {
        step = 3;
        child.stdin.write('r\n');
      } else if (step === 3 && asked() === 2) {
        step = 4;
        child.stdin.write('staging\n');
      }
    });
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (c) => {
        clearTimeout(t);
        res(c);
      });
    });
    expect(code).toBe(0);
    expect(out).toContain('Not confirmed (typed "stagign", expected "staging"): nothing was rolled back; the drill goes on.');
    // Only the typed name rolled back: one request in the debrief.
    expect(out.match(/^\s+T\+\d\d:\d\d\s+asked for a rollback\s*$/gm)).toHaveLength(1);
    expect(out).toMatch(/What you did:\n\s+T\+\d\d:\d\d\s+asked for a rollback/);
    expect(out).toMatch(/your rollback would have:/);
    // What it would have done is the real rollback's own stage list, planned: every stage, in its order.
    const plan = out.slice(out.indexOf('your rollback would have:')).split('\n').slice(1).map((l) => /^\s+\d+\. ([a-z-]+): /.exec(l)?.[1]).filter(Boolean);
    expect(plan).toEqual([...ROLLBACK_STAGES]);
    expect(out).toMatch(/You rolled back before the gates decided/);
    // Rolling back a healthy release during a metrics outage is the wrong call: scored as a miss.
    expect(out).toMatch(/SCORE: 1\/3\n\s+\[miss\] decision at T\+10:00 \(wait\): you rolled back at T\+\d\d:\d\d; waiting was right/);
  });

  it('bad input: unknown scenario, bad speed, broken scenario file', async () => {
    ws = await makeWorkspace();
    const a = await runCli(['train', '--scenario', 'nope'], { cwd: ws.root });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/Unknown scenario "nope": runbooks\/scenarios\/ has .*p95-regression/);
    const b = await runCli(['train', '--speed', 'fast'], { cwd: ws.root });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--speed expects a number/);
    writeFileSync(join(ws.root, 'runbooks', 'scenarios', 'broken.yaml'), 'name: broken\ntitle: Broken\nbaseline: { rps: -1 }\n');
    const c = await runCli(['train', '--scenario', 'broken'], { cwd: ws.root });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/runbooks\/scenarios\/broken\.yaml:3: baseline\.rps: expected a number of 0 or more/);
  });
});
