// Given a workspace, when `rollout premerge` runs, then every artifact of the seeds' PR checklist
// is written, the backup verifies with sha256sum, nothing real changed, nothing is left running;
// and when one check fails, the run fails and says which.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, makeWorkspace, runCli } from '../helpers/cli.js';
import { PREMERGE_LOGS } from '../../src/usecases/premerge.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>> | undefined;
afterEach(() => ws?.cleanup());

function pidsStarted(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/started \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1])));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited service waiting for init to reap it (a zombie) is not running.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('rollout premerge', () => {
  it('writes the six logs, a verifiable backup and a summary, changing nothing real', async () => {
    ws = await makeWorkspace();
    const r = await runCli(['premerge'], { cwd: ws.root, timeoutMs: 100_000 });
    expect(r.code, r.stderr).toBe(0);
    const art = join(ws.root, 'premerge_artifacts');
    for (const f of PREMERGE_LOGS) expect(existsSync(join(art, f)), f).toBe(true);
    const zip = readdirSync(art).find((f) => /^dhash_staging_\d{8}_\d{6}\.zip$/.test(f));
    expect(zip).toBeDefined();
    expect(execFileSync('sha256sum', ['-c', `${zip}.sha256`], { cwd: art, encoding: 'utf8' })).toBe(`${zip}: OK\n`);
    const summary = JSON.parse(readFileSync(join(art, 'summary.json'), 'utf8')) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(summary.ok).toBe(true);
    expect(summary.checks.map((c) => c.name)).toEqual(['config', 'setup', 'smoke-pre', 'backup-dry', 'backup', 'verify', 'deploy-dry', 'migrate-dry', 'rollback-dry', 'deploy', 'smoke-post', 'notify-dry', 'logging']);
    expect(readFileSync(join(art, 'summary.md'), 'utf8')).toContain('# Pre-merge validation: PASSED');
    expect(readFileSync(join(art, 'postdeploy-smoketests.log'), 'utf8')).toMatch(/golden-hash\s+critical\s+PASS/);
    // Nothing real changed: the workspace has no deployment, backup or log of its own.
    for (const d of ['deployments', 'backups', 'logs', 'config']) expect(existsSync(join(ws.root, d)), d).toBe(false);
    // The services started in the copy are gone.
    const pids = pidsStarted(art);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 120_000);

  it('fails (exit 1) when a check fails, and says which', async () => {
    ws = await makeWorkspace();
    const rb = join(ws.root, 'runbooks', 'dhash.yaml');
    // A pre-deploy smoke check that can never pass on staging (the other phases are untouched).
    const text = readFileSync(rb, 'utf8');
    const at = text.indexOf('smoke:', text.indexOf('  staging:'));
    writeFileSync(rb, `${text.slice(0, at)}smoke:\n      - { id: never-ok, tier: critical, phases: [pre-deploy], kind: http, url: "http://127.0.0.1:${ws.ports.staging}/health", body_contains: "never" }${text.slice(at + 'smoke:'.length)}`);
    const r = await runCli(['premerge', '--json'], { cwd: ws.root, timeoutMs: 100_000 });
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(/^rollout: pre-merge validation failed at "pre-deploy smoke tests" \(exit 1\)/);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(out.ok).toBe(false);
    expect(out.checks.find((c) => c.name === 'smoke-pre')?.ok).toBe(false);
    expect(readFileSync(join(ws.root, 'premerge_artifacts', 'summary.md'), 'utf8')).toContain('| FAIL | pre-deploy smoke tests |');
    for (const pid of pidsStarted(join(ws.root, 'premerge_artifacts'))) expect(alive(pid)).toBe(false);
  }, 120_000);

  it('stopped by SIGTERM once the copy runs its service: exit 1, one sentence, the copy\'s service stopped, the checks so far kept', async () => {
    ws = await makeWorkspace();
    const child = spawn(process.execPath, [cliPath(), 'premerge'], { cwd: ws.root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/PASS {2}staging copy running the baseline/.test(out)) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGTERM');
    const code = await exited;
    clearTimeout(killer);
    expect(code, out + err).toBe(1);
    expect(err).toMatch(/^rollout: pre-merge validation was interrupted: the copy's service was stopped and nothing real changed/);
    expect(err.trim().split('\n')).toHaveLength(1);
    const art = join(ws.root, 'premerge_artifacts');
    const summary = JSON.parse(readFileSync(join(art, 'summary.json'), 'utf8')) as { ok: boolean; interrupted?: boolean; checks: { name: string; ok: boolean }[] };
    expect(summary).toMatchObject({ ok: false, interrupted: true });
    expect(summary.checks[0]).toMatchObject({ name: 'config', ok: true });
    expect(summary.checks.at(-1)).toMatchObject({ name: 'premerge', ok: false });
    const pids = pidsStarted(art);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const d of ['deployments', 'backups', 'config']) expect(existsSync(join(ws.root, d)), d).toBe(false);
  }, 120_000);
});
