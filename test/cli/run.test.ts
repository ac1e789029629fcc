// rollout run, headless, through the real bundled CLI against the embedded demo service: a
// production walk missing its confirmations is refused before anything starts (exit 3); bad flags
// are usage errors; a full staging walk deploys, monitors a short window and journals the sign-off
// with the backup's sha256; an interrupted walk resumes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventClock, makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';
import { killServices } from '../demo/service-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
// The walk's 3 s monitor window must pass whatever the load: it runs on the event clock.
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, timeoutMs: 120_000, env: eventClock(ws.root) });

function runLogs(env: string): string[] {
  const dir = join(ws.root, 'logs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`run_${env}_`)).sort() : [];
}
function events(file: string): Record<string, unknown>[] {
  return readFileSync(join(ws.root, 'logs', file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  ws = await makeWorkspace();
  // A short window so that the walk's monitor step ends in seconds.
  shortenMonitoring(ws.root, 'staging', { durationMinutes: 0.05, intervalSeconds: 0.5, maxWindowMinutes: 0.05 });
});
afterAll(async () => {
  await killServices(ws.root);
  ws.cleanup();
});

// The end-to-end walk (backup, deploy, smoke, a monitor window): 10 s here under load 7.5.
describe('rollout run', { timeout: 90_000 }, () => {
  it('refuses a production walk without --confirm, --sign-off and --yes (exit 3), before anything starts', async () => {
    const r = await rollout('run', '--env', 'production', '--version', '1.1.0');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('A production walk needs --confirm ci-green approvals no-incidents (or --confirm all), --sign-off NAME, --yes; nothing was started.');
    expect(r.stderr.trim().split('\n')[0]).not.toMatch(/at .*\.js/);
    expect(runLogs('production')).toEqual([]);
    const partial = await rollout('run', '--env', 'production', '--confirm', 'all', '--sign-off', 'alice');
    expect(partial.code).toBe(3);
    expect(partial.stderr).toContain('needs --yes');
  });

  it('names an unknown --confirm item and an unknown runbook (exit 2)', async () => {
    const a = await rollout('run', '--env', 'staging', '--confirm', 'ci-gren');
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--confirm ci-gren: runbooks/dhash.yaml has no manual checklist item "ci-gren" (it has ci-green, approvals, no-incidents).');
    const b = await rollout('run', 'nope', '--env', 'staging');
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('Unknown runbook "nope"');
  });

  it('stops at the checklist when nothing was backed up (exit 1) and says what to do, in JSON too', async () => {
    const r = await rollout('run', '--env', 'staging', '--confirm', 'all', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { ok: boolean; status: string; steps: { id: string; status: string }[]; next_steps: string[]; error: string };
    expect(j).toMatchObject({ ok: false, status: 'failed' });
    expect(j.steps[0]).toMatchObject({ id: 'artifacts', status: 'failed' });
    expect(j.steps.slice(1).every((s) => s.status === 'pending')).toBe(true);
    expect(j.error).toContain('backup-present');
    expect(j.next_steps).toContain('press b to create the backup now (or: rollout backup --env staging)');
  });

  it('walks dhash on staging end to end: backup, verify, sign-off with the sha256, migrate, deploy, smoke, monitor', async () => {
    expect((await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor')).code).toBe(0);
    expect((await rollout('backup', '--env', 'staging')).code).toBe(0);
    const r = await rollout('run', 'dhash', '--env', 'staging', '--version', '1.1.0', '--confirm', 'all', '--sign-off', 'Alice Ops', '--operator', 'alice');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[8\/8\] T\+60 monitor with quality gates/);
    // The monitor step prints the same line per poll as rollout monitor.
    expect(r.stdout).toMatch(/Monitoring staging until \d\d:\d\d:\d\d UTC/);
    expect(r.stdout).toMatch(/PASS\s+golden-hash\s+critical/);
    expect(r.stdout).toContain('The walk of dhash on staging went through.');
    const file = runLogs('staging').at(-1)!;
    const ev = events(file);
    const signOff = ev.find((e) => e.event === 'sign-off') as { name: string; artifacts: { path: string; sha256: string }[] };
    expect(signOff.name).toBe('Alice Ops');
    // The hash recorded is the backup's real sha256, the one in its .sha256 file.
    const b = signOff.artifacts[0]!;
    const onDisk = createHash('sha256').update(readFileSync(join(ws.root, b.path))).digest('hex');
    expect(b.sha256).toBe(onDisk);
    expect(readFileSync(join(ws.root, `${b.path}.sha256`), 'utf8')).toContain(onDisk);
    expect(ev.filter((e) => e.event === 'step-finished').map((e) => e.step)).toEqual(['artifacts', 'backup', 'verify', 'sign-off', 'migrate', 'deploy', 'smoke', 'monitor']);
    expect(ev.at(-1)).toMatchObject({ event: 'walk-finished', result: 'ok' });
    const status = await rollout('service', 'status', '--env', 'staging', '--json');
    expect(status.stdout).toContain('1.1.0');
  });

  it('--resume with nothing interrupted is a usage error naming the walk', async () => {
    const r = await rollout('run', '--env', 'staging', '--resume');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Nothing to resume: no interrupted walk of dhash on staging (the last one finished).');
  });
});
