// `rollout monitor` as a real process against a real loopback service: a line per poll, NDJSON,
// exit codes, outages that never roll back, and kill -9 followed by --resume.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, eventClock, runCli } from '../helpers/cli.js';
import { monitorWorkspace, type MonitorWs } from './monitor-cli.js';
import { waitUntil } from '../helpers/frames.js';

let w: MonitorWs | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

describe('rollout monitor', () => {
  // These two windows must pass: they run on the event clock (eventClock), so a loaded machine
  // cannot skip polls (a real-clock 3 s window with the monitor stopped 2.8 s got 2 and ended
  // inconclusive), and a slow read has 5 s. The cadence on the wall clock is held by
  // test/gates/schedule.test.ts (fake clock) and the x N test below.
  it('a healthy window: one line per poll, exit 0, a journal with every sample', async () => {
    w = await monitorWorkspace({ metricsTimeoutMs: 5000 });
    const tick = setInterval(() => w!.svc.traffic(20, 300), 100);
    const r = await runCli(['monitor', '--env', 'staging'], { cwd: w.root, env: eventClock(w.root) });
    clearInterval(tick);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Each poll line opens with the monitor's elapsed time in its one format: T+mm:ss of the window.
    const polls = r.stdout.split('\n').filter((l) => /^T\+\d\d:\d\d of 00:03 poll \d+/.test(l));
    // Every 0.5 s over 3 s, both ends included: the whole grid.
    expect(polls).toHaveLength(7);
    expect(polls[0]).toContain('health OK');
    expect(r.stdout).toMatch(/staging passed its 00:03 monitoring window/);
    const j = w.journal();
    expect(j.filter((e) => e.event === 'sample')).toHaveLength(polls.length);
    expect(j.find((e) => e.event === 'monitor-done')).toMatchObject({ result: 'passed', exit_code: 0 });
    // The hook reached the window, and the journal says so.
    expect(j.filter((e) => e.event === 'test-clock')).toHaveLength(1);
  });

  it('--json prints NDJSON: a poll object per poll and a final result', async () => {
    w = await monitorWorkspace({ metricsTimeoutMs: 5000 });
    const r = await runCli(['monitor', '--env', 'staging', '--json', '--duration', '0.05'], { cwd: w.root, env: eventClock(w.root) });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'start', env: 'staging' });
    const polls = lines.filter((l) => l.type === 'poll');
    expect(polls).toHaveLength(7);
    // A poll object per poll: one for each sample the journal holds.
    expect(polls).toHaveLength(w.journal().filter((e) => e.event === 'sample').length);
    expect(lines.at(-1)).toMatchObject({ type: 'result', ok: true, exit_code: 0, result: 'passed' });
  });

  it('a queue above the limit breaches: exit 1, one sentence on stderr, the journal names the gate', async () => {
    w = await monitorWorkspace({ durationMinutes: 0.2 });
    w.svc.queue = 2500;
    // A stray test variable alone (no ROLLOUT_TEST_WORKSPACE naming this workspace) is not honoured.
    const r = await runCli(['monitor', '--env', 'staging'], { cwd: w.root, env: { ROLLOUT_TEST_MONITOR_CLOCK: 'events' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^rollout: staging: .*low_confidence_queue/);
    const d = w.journal().find((e) => e.event === 'decision' && e.gate === 'low_confidence_queue');
    expect(d).toMatchObject({ cause: 'breach', value: 2500, threshold: 2000, window_minutes: 0 });
    expect(w.journal().some((e) => e.event === 'test-clock')).toBe(false);
  });

  it.each([
    ['answers 500', '/500'],
    ['hangs', '/hang'],
    ['answers garbage', '/garbage'],
    ['answers nothing', '/empty'],
  ])('a metrics server that %s: error/no-data shown, no rollback, inconclusive (exit 4)', async (_n, path) => {
    const { faultyServer } = await import('../metrics/servers.js');
    const bad = await faultyServer();
    try {
      w = await monitorWorkspace({ metricsUrl: `${bad.url}${path}`, durationMinutes: 0.06 });
      const r = await runCli(['monitor', '--env', 'staging'], { cwd: w.root });
      // A window in which no metric was ever read is no verdict: exit 4 with the gates named.
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^rollout: staging: inconclusive: .*extraction_failure_rate, p95_hash_time, low_confidence_queue, cpu_percent, memory_percent, disk_used_percent had enough data/);
      expect(r.stdout).toMatch(/metrics (ERROR|NO-DATA)/);
      expect(r.stdout).toMatch(/ALERT .*not a breach/);
      const j = w.journal();
      expect(j.some((e) => e.event === 'rollback-start')).toBe(false);
      expect(j.some((e) => e.event === 'decision' && e.cause === 'breach')).toBe(false);
      expect(j.find((e) => e.event === 'monitor-done')).toMatchObject({ result: 'inconclusive', exit_code: 4 });
    } finally {
      await bad.close();
    }
  });

  it('bad usage: --duration that is not a number, --resume with nothing to resume', async () => {
    w = await monitorWorkspace();
    const a = await runCli(['monitor', '--env', 'staging', '--duration', 'soon'], { cwd: w.root });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--duration expects a number of minutes/);
    const b = await runCli(['monitor', '--env', 'staging', '--resume'], { cwd: w.root });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/Nothing to resume for staging/);
    const c = await runCli(['monitor', '--env', 'nowhere'], { cwd: w.root });
    expect(c.code).toBe(2);
  });

  it('kill -9 mid-window, then --resume: same T0 and end, one journal, finishes with exit 0', async () => {
    w = await monitorWorkspace({ durationMinutes: 0.12 });
    const child = spawn(process.execPath, [cliPath(), 'monitor', '--env', 'staging'], { cwd: w.root, env: { ...process.env, NO_COLOR: '1', ROLLOUT_STATE_DIR: join(tmpdir(), 'rollout-test-state') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('close', (code, sig) => r(sig ? -1 : code)));
    try {
      await waitUntil(() => w!.journal().filter((e) => e.event === 'sample').length, (n) => n >= 4, 'four samples in the journal before the kill', { ms: 20_000 });
      child.kill('SIGKILL');
      expect(await exited).toBe(-1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // SIGKILL can land between two pages of a write and leave the last line torn (CI saw the
    // resume's first event glued to such a line and lost): tear it here on purpose.
    const file = join(w.root, 'logs', w.journals()[0]!);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 12));
    const before = w.journal();
    const start = before.find((e) => e.event === 'monitor-start')!;
    expect(before.some((e) => e.event === 'monitor-done')).toBe(false);
    const r = await runCli(['monitor', '--env', 'staging', '--resume', '--json'], { cwd: w.root });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({ type: 'result', result: 'passed', t0: new Date(start.t0_ms as number).toISOString(), end_at: new Date(start.end_at_ms as number).toISOString() });
    expect(w.journals()).toHaveLength(1);
    const after = w.journal();
    expect(after.filter((e) => e.event === 'monitor-start')).toHaveLength(1);
    expect(after.filter((e) => e.event === 'monitor-resume')).toHaveLength(1);
    const seqs = after.filter((e) => e.event === 'sample').map((e) => (e.observation as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('an operator types x N to extend the window and r to roll back: the same path as an auto-rollback', async () => {
    w = await monitorWorkspace({ durationMinutes: 0.05 });
    const child = spawn(process.execPath, [cliPath(), 'monitor', '--env', 'staging', '--json'], { cwd: w.root, env: { ...process.env, NO_COLOR: '1', ROLLOUT_STATE_DIR: join(tmpdir(), 'rollout-test-state') }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let step = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const polls = out.split('\n').filter((l) => l.includes('"type":"poll"')).length;
      // The extension goes in at the first poll: the window is 3 s, and a loaded machine can take
      // most of it to poll twice (the keys are read from the start).
      if (step === 0 && polls >= 1) {
        step = 1;
        child.stdin.write('x 1\n');
      } else if (step === 1 && out.includes('"type":"extend"') && polls >= 8) {
        step = 2;
        child.stdin.write('r\n');
      }
    });
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (c) => {
        clearTimeout(t);
        res(c);
      });
    });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = lines.find((l) => l.type === 'start')!;
    const ext = lines.find((l) => l.type === 'extend')!;
    expect(Date.parse(ext.end_at as string) - Date.parse(start.end_at as string)).toBe(60_000);
    // The window (3 s) would have ended before poll 8 without the extension.
    expect(lines.filter((l) => l.type === 'poll').length).toBeGreaterThanOrEqual(8);
    expect(lines.some((l) => l.type === 'rollback' && l.stage === 'requested')).toBe(true);
    const j = w.journal();
    expect(j.filter((e) => e.event === 'rollback-start')).toEqual([expect.objectContaining({ trigger: 'manual' })]);
    // No backup exists in this workspace: the rollback engine refuses, and the monitor says so (exit 1).
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ type: 'result', result: 'rollback-failed' });
  });
});
