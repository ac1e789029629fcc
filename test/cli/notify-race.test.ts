// Dedupe across processes is atomic (issue #13): eight identical `rollout notify` processes started
// at once against a real loopback webhook deliver exactly once; the others wait for the sender's
// reservation and fold. A sender killed with -9 while it holds the reservation does not block the
// next one for good: its reservation goes stale and is taken over.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath, makeWorkspace, runCli } from '../helpers/cli.js';
import { startSink, type Sink } from '../notify/sinks.js';
import { truthy, waitUntil } from '../helpers/frames.js';

const CLEAN = { SLACK_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, EMAIL_TO: undefined, SMTP_URL: undefined, SMTP_HOST: undefined };
let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let sink: Sink | undefined;

beforeEach(async () => {
  ws = await makeWorkspace();
  const p = join(ws.root, 'quality-gates-config.json');
  const cfg = JSON.parse(readFileSync(p, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  cfg.environments.staging!.notifications = { dedupe_seconds: 300, retries: 0, timeout_ms: 20_000 };
  writeFileSync(p, JSON.stringify(cfg, null, 2));
});
afterEach(async () => {
  await sink?.close();
  sink = undefined;
  ws.cleanup();
});

describe('rollout notify across processes', () => {
  it('8 identical notifications at once: exactly 1 delivery, the other 7 fold, all exit 0', async () => {
    // A webhook that takes a moment to answer, so that the eight really overlap.
    sink = await startSink(async () => {
      await new Promise((r) => setTimeout(r, 300));
      return { status: 200, body: 'ok' };
    });
    const env = { ...CLEAN, SLACK_WEBHOOK_URL: sink.url('/services/T1/B1/SECRETrace123') };
    const args = ['notify', '--type', 'gate-breach', '--env', 'staging', '--message', 'p95 above 2000 ms'];
    const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(args, { cwd: ws.root, env })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(sink.received).toHaveLength(1);
    expect(runs.filter((r) => /slack\s+delivered/.test(r.stdout))).toHaveLength(1);
    expect(runs.filter((r) => /slack\s+folded/.test(r.stdout))).toHaveLength(7);
    // A different message is not folded into the first.
    const other = await runCli(['notify', '--type', 'gate-breach', '--env', 'staging', '--message', 'p95 above 3000 ms'], { cwd: ws.root, env });
    expect(other.code).toBe(0);
    expect(sink.received).toHaveLength(2);
  }, 120_000);

  it('a sender killed with -9 mid-send does not hold the reservation for good', async () => {
    // The first request hangs (the sender is killed while waiting); later ones are answered.
    sink = await startSink((_r, i) => (i === 0 ? 'hang' : { status: 200, body: 'ok' }));
    const env: Record<string, string> = { NO_COLOR: '1', SLACK_WEBHOOK_URL: sink.url('/services/T1/B1/SECRETrace123') };
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !(k in CLEAN) && !(k in env)) env[k] = v;
    const args = ['notify', '--type', 'gate-breach', '--env', 'staging', '--message', 'p95 above 2000 ms'];
    const first = spawn(process.execPath, [cliPath(), ...args], { cwd: ws.root, env, stdio: 'ignore' });
    const exited = new Promise<void>((r) => first.on('exit', () => r()));
    await waitUntil(() => sink!.received.length === 1, truthy, 'the first sender to reach the webhook', { ms: 20_000, intervalMs: 100 });
    first.kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    const second = await runCli(args, { cwd: ws.root, env: { ...CLEAN, SLACK_WEBHOOK_URL: env.SLACK_WEBHOOK_URL } });
    const took = Date.now() - t0;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/slack\s+delivered/);
    expect(sink.received).toHaveLength(2);
    // It waited for the dead sender's reservation to go stale (10 s), not for ever.
    expect(took).toBeGreaterThan(5_000);
    expect(took).toBeLessThan(30_000);
  }, 90_000);
});
