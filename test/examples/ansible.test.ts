// The ansible example (runbooks/examples/ansible/) run for real: ansible-playbook deploys the dhash
// release on this machine (ansible_connection=local). A good release, then a bad one: the gate
// trips and the auto-rollback runs the runbook's rollback command (the playbook with the backup's
// version), and the check by running version passes in a new process. Then a rollback command
// that does nothing (`true`) ends in ROLLBACK FAILED with exit 1 and an incident saying so.
// Skipped, with the reason, only where ansible-playbook is not installed.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, freePort, hasAnsible, makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';
import { getJson, killServices } from '../demo/service-helpers.js';

const ANSIBLE = hasAnsible();
if (!ANSIBLE) console.warn('SKIPPED test/examples/ansible.test.ts: ansible-playbook is not installed (apt-get install ansible-core)');

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let port = 0;
let env: Record<string, string> = {};
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root, env, timeoutMs: 180_000 });
const running = async (): Promise<{ version: string; pid: number }> => (await getJson<{ version: string; pid: number }>(`http://127.0.0.1:${port}/version`)).body;
const pidFile = (): string => join(ws.root, 'ansible-host/staging/service.pid');
const newestIncident = (): Record<string, unknown> => {
  const id = readdirSync(join(ws.root, 'incidents')).sort().at(-1)!;
  return JSON.parse(readFileSync(join(ws.root, 'incidents', id, 'incident.json'), 'utf8')) as Record<string, unknown>;
};

describe.skipIf(!ANSIBLE)('runbooks/examples/ansible, run for real', () => {
  beforeAll(async () => {
    ws = await makeWorkspace();
    port = await freePort();
    const rb = readFileSync(join(REPO, 'runbooks/examples/ansible/dhash.yaml'), 'utf8').replaceAll('7421', String(port));
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), rb);
    shortenMonitoring(ws.root, 'staging', { durationMinutes: 0.4, intervalSeconds: 0.5, maxWindowMinutes: 0.05 });
    const dist = process.env.ROLLOUT_TEST_DIST!;
    env = { ROLLOUT_OPERATOR: 'ops', DHASH_SERVICE: join(dist, 'dhash-service.js'), DHASH_RELEASES: join(REPO, 'releases'), DHASH_NODE: process.execPath, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(ws.root, '.ansible-tmp'), ANSIBLE_REMOTE_TEMP: join(ws.root, '.ansible-tmp') };
  });

  afterAll(async () => {
    if (!ws) return;
    const pid = existsSync(pidFile()) ? Number(readFileSync(pidFile(), 'utf8').trim()) : 0;
    await killServices(ws.root, pid > 0 ? [pid] : []);
    ws.cleanup();
  });

  it('validates, deploys 1.0.0, backs it up; 1.2.0-failing trips the gate and ansible brings 1.0.0 back, checked by running version', async () => {
    const v = await rollout('validate-config');
    expect(v.code, v.stderr).toBe(0);

    const good = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(good.code, good.stderr + good.stdout).toBe(0);
    expect((await running()).version).toBe('1.0.0');
    const b = await rollout('backup', '--env', 'staging', '--json');
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ version: '1.0.0' });

    const bad = await rollout('deploy', '--env', 'staging', '--version', '1.2.0-failing', '--yes');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/^rollout: staging was rolled back because extraction_failure_rate breached .*: restored backups\/dhash_staging_\d{8}_\d{6}\.zip \(version 1\.0\.0\); the target runs 1\.0\.0; health and smoke checks pass again \(incident INC-/);
    // The rollback's log: what ran when it started (the bad release's process), read from the target.
    const logs = readdirSync(join(ws.root, 'logs')).filter((f) => f.startsWith('rollback_staging_')).sort();
    const text = readFileSync(join(ws.root, 'logs', logs.at(-1)!), 'utf8');
    const start = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; running?: { version: string; pid: number } }).find((e) => e.event === 'rollback.start')!;
    expect(start.running?.version).toBe('1.2.0-failing');
    const now = await running();
    expect(now.version).toBe('1.0.0');
    expect(now.pid).not.toBe(start.running!.pid);
    expect(Number(readFileSync(pidFile(), 'utf8').trim())).toBe(now.pid);
    expect(newestIncident()).toMatchObject({ rollback_ok: true, outcome: 'rolled-back', version_before: '1.2.0-failing', version_after: '1.0.0', backup_version: '1.0.0', trigger: { kind: 'auto', gate: 'extraction_failure_rate' } });
    // The rollback ran the playbook with the backup's version, and read /version afterwards.
    expect(text).toMatch(/deploy\.yml -e version=1\.0\.0 -e env=staging/);
    expect(text).toMatch(/"event":"rollback.running_version"[^\n]*"version":"1\.0\.0"/);
  }, 240_000);

  it('a rollback command that does nothing (`true`) ends in ROLLBACK FAILED: exit 1, the sentence, an incident marked rollback-failed', async () => {
    const rbPath = join(ws.root, 'runbooks/dhash.yaml');
    // The example's 30 s health timeout is what a real host needs; a rollback that restarts nothing
    // waits all of it (twice here), so this test gives it 8 s: the verdict is the same.
    writeFileSync(rbPath, readFileSync(rbPath, 'utf8').replace(/^(\s+rollback:) ansible-playbook .*$/m, '$1 "true"').replace(/health_timeout_ms: 30000/, 'health_timeout_ms: 8000'));
    expect(readFileSync(rbPath, 'utf8')).toMatch(/rollback: "true"/);
    expect(readFileSync(rbPath, 'utf8')).toMatch(/health_timeout_ms: 8000/);
    const bad = await rollout('deploy', '--env', 'staging', '--version', '1.2.0-failing', '--yes');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/ROLLBACK FAILED: staging still runs 1\.2\.0-failing \(expected 1\.0\.0\): the target reports 1\.2\.0-failing \(pid \d+, started [^)]+\) running, not the backup's 1\.0\.0/);
    expect(bad.stderr).not.toMatch(/was rolled back/);
    expect((await running()).version).toBe('1.2.0-failing');
    expect(newestIncident()).toMatchObject({ rollback_ok: false, outcome: 'rollback-failed', version_after: '1.2.0-failing', backup_version: '1.0.0' });
    const id = readdirSync(join(ws.root, 'incidents')).sort().at(-1)!;
    expect(readFileSync(join(ws.root, 'incidents', id, 'report.md'), 'utf8')).toContain('**ROLLBACK FAILED: staging still runs 1.2.0-failing');

    // The same through `rollout rollback` by hand: exit 1 and the sentence on stderr.
    const manual = await rollout('rollback', '--env', 'staging');
    expect(manual.code).toBe(1);
    expect(manual.stderr).toMatch(/^ROLLBACK FAILED: staging still runs 1\.2\.0-failing \(expected 1\.0\.0\)/);
    expect(manual.stdout).not.toMatch(/Rolled back/);
  }, 240_000);
});
