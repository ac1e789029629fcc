// A real fleet: `rollout init --example fleet` writes the workspace, its inventory's four hosts
// are moved to free loopback ports, and ansible-playbook (ansible_connection=local) runs four demo
// service processes. A bad canary is rolled back on its one host while the other three never get
// it; a good release goes through every wave, interrupted by kill -9 between two waves and
// resumed; baseline mode trips a canary 30 % slower than the baseline hosts while it is far under
// the fixed threshold. Skipped, with the reason, only where ansible-playbook is not installed.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, freePort, hasAnsible, killCliAt, runCli } from '../helpers/cli.js';
import { killServices } from '../demo/service-helpers.js';

const ANSIBLE = hasAnsible();
if (!ANSIBLE) console.warn('SKIPPED test/usecases/fleet-deploy.test.ts: ansible-playbook is not installed (apt-get install ansible-core)');

const HOSTS = ['dhash-1', 'dhash-2', 'dhash-3', 'dhash-4'];
let root = '';
let ports: number[] = [];
let env: Record<string, string> = {};
const rollout = (...args: string[]) => runCli(args, { cwd: root, env, timeoutMs: 240_000 });
type Version = { version: string; pid: number };
const version = async (i: number): Promise<Version | null> => {
  try {
    return (await (await fetch(`http://127.0.0.1:${ports[i]}/version`)).json()) as Version;
  } catch {
    return null;
  }
};
const versions = (): Promise<(Version | null)[]> => Promise.all(HOSTS.map((_, i) => version(i)));
const pids = (): number[] => HOSTS.map((h) => join(root, 'fleet-hosts', h, 'service.pid')).filter(existsSync).map((f) => Number(readFileSync(f, 'utf8').trim()));
const newestIncident = (): Record<string, unknown> => {
  const id = readdirSync(join(root, 'incidents')).sort().at(-1)!;
  return JSON.parse(readFileSync(join(root, 'incidents', id, 'incident.json'), 'utf8')) as Record<string, unknown>;
};
const journal = (): { event: string; [k: string]: unknown }[] => {
  const f = readdirSync(join(root, 'logs')).filter((x) => x.startsWith('deploy_fleet_')).sort().at(-1)!;
  return readFileSync(join(root, 'logs', f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string });
};
const editRunbook = (f: (s: string) => string): void => {
  const p = join(root, 'runbooks', 'dhash.yaml');
  writeFileSync(p, f(readFileSync(p, 'utf8')));
};
/** The same playbook by hand on every host (what an operator would run), to set the fleet up. */
const byHand = (v: string): void => {
  execFileSync('ansible-playbook', ['-i', 'runbooks/examples/fleet/inventory.ini', 'runbooks/examples/fleet/deploy.yml', '-e', `version=${v}`, '-e', 'env=fleet', '-e', `workspace=${root}`, '-e', `dhash_releases=${join(root, 'releases')}`, '-e', `dhash_service=${join(process.env.ROLLOUT_TEST_DIST!, 'dhash-service.js')}`, '-e', `dhash_node=${process.execPath}`], { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore', timeout: 120_000 });
};

/** kill -9 of `rollout ARGS` at a test point; a playbook wave can take a while on a busy machine. */
const killAt = (args: string[], point: string, whilePaused: () => Promise<void>): Promise<void> => killCliAt(root, args, point, env, whilePaused, 150_000);

describe.skipIf(!ANSIBLE)('a fleet of 4 demo hosts rolled out in waves by ansible-playbook', () => {
  beforeAll(async () => {
    root = join(mkdtempSync(join(tmpdir(), 'rollout-fleet-')), 'ws');
    const init = await runCli(['init', root, '--example', 'fleet'], { timeoutMs: 30_000 });
    expect(init.code, init.stderr).toBe(0);
    ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const inv = join(root, 'runbooks/examples/fleet/inventory.ini');
    writeFileSync(inv, readFileSync(inv, 'utf8').replace(/\b744([1-4])\b/g, (_m, i: string) => String(ports[Number(i) - 1])));
    // Short watches: a wave is judged in seconds (the gates' windows are 0.1 min in the example's config).
    editRunbook((s) => s.replace(/watch_minutes: 0\.1/g, 'watch_minutes: 0.05'));
    // The shipped releases, plus two made here for baseline mode: hashes wait ~300-400 ms, and
    // ~30 % longer (390-520 ms); both far under the fixed p95 threshold of 2000 ms.
    cpSync(join(REPO, 'releases'), join(root, 'releases'), { recursive: true });
    const rel = (v: string, extra: number, jitter: number): void => {
      mkdirSync(join(root, 'releases', v));
      writeFileSync(join(root, 'releases', v, 'release.json'), JSON.stringify({ name: 'dhash', version: v, description: `hashes wait ${extra}-${extra + jitter} ms`, profile: { images_per_second: 40, extra_hash_latency_ms: extra, latency_jitter_ms: jitter, misbehave_after_ms: 0 } }));
    };
    rel('1.3.0-base', 300, 100);
    rel('1.3.1-slower', 390, 130);
    env = { ROLLOUT_OPERATOR: 'ops', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(root, '.ansible-tmp'), ANSIBLE_REMOTE_TEMP: join(root, '.ansible-tmp') };
  });

  afterAll(async () => {
    if (!root) return;
    await killServices(root, pids());
    rmSync(join(root, '..'), { recursive: true, force: true });
  });

  it('status reads each host: nothing runs; after the playbook by hand, 4 hosts run 1.0.0 (pids from the hosts)', async () => {
    const before = await rollout('service', 'status', '--env', 'fleet', '--json');
    expect(before.code, before.stderr).toBe(0);
    const b = JSON.parse(before.stdout) as { hosts: { host: string; running: boolean; version: string | null }[] };
    expect(b.hosts.map((h) => [h.host, h.running, h.version])).toEqual(HOSTS.map((h) => [h, false, null]));

    byHand('1.0.0');
    const after = await rollout('service', 'status', '--env', 'fleet', '--json');
    const a = JSON.parse(after.stdout) as { hosts: { host: string; running: boolean; version: string; pid: number; health: { ok: boolean } }[] };
    const live = await versions();
    expect(a.hosts.map((h) => [h.host, h.running, h.version, h.pid, h.health.ok])).toEqual(HOSTS.map((h, i) => [h, true, '1.0.0', live[i]!.pid, true]));
  }, 180_000);

  it('a bad canary (1.2.0-failing on 1 of 4): the gate trips, only that host is rolled back and verified; the other 3 never got it; the incident names the host', async () => {
    const before = await versions();
    const r = await rollout('deploy', '--env', 'fleet', '--version', '1.2.0-failing', '--yes', '--auto-promote');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^rollout: fleet wave canary tripped: extraction_failure_rate breached .*rolled back dhash-1 \(dhash-1 runs 1\.0\.0; health and smoke checks pass on each\); dhash-2, dhash-3 and dhash-4 never got 1\.2\.0-failing \(incident INC-/);
    const now = await versions();
    expect(now[0]!.version).toBe('1.0.0');
    expect(now[0]!.pid).not.toBe(before[0]!.pid);
    // Never touched: same processes, and no copy of the bad release on those hosts.
    for (const i of [1, 2, 3]) {
      expect(now[i]).toEqual(before[i]);
      expect(existsSync(join(root, 'fleet-hosts', HOSTS[i]!, 'releases', '1.2.0-failing'))).toBe(false);
    }
    expect(existsSync(join(root, 'fleet-hosts', 'dhash-1', 'releases', '1.2.0-failing'))).toBe(true);
    const inc = newestIncident();
    expect(inc).toMatchObject({ env: 'fleet', outcome: 'rolled-back', rollback_ok: true, wave: 'canary', version_before: '1.2.0-failing', trigger: { kind: 'auto', gate: 'extraction_failure_rate' }, untouched_hosts: ['dhash-2', 'dhash-3', 'dhash-4'] });
    expect(inc.hosts).toEqual([expect.objectContaining({ host: 'dhash-1', rolled_back_to: '1.0.0', running: '1.0.0', ok: true })]);
    const id = String(inc.id);
    expect(readFileSync(join(root, 'incidents', id, 'report.md'), 'utf8')).toMatch(/Fleet: wave canary tripped; rolled back dhash-1 \(runs 1\.0\.0\); never got the release: dhash-2, dhash-3, dhash-4/);
    // The journal: which host ran what, when (before, running, rollback verified per host).
    const j = journal();
    expect(j.filter((e) => e.event === 'fleet.host.before').map((e) => [e.host, e.version])).toEqual([['dhash-1', '1.0.0']]);
    expect(j.find((e) => e.event === 'fleet.host.running')).toMatchObject({ host: 'dhash-1', version: '1.2.0-failing' });
    expect(j.find((e) => e.event === 'fleet.rollback.host')).toMatchObject({ host: 'dhash-1', ok: true, running: '1.0.0' });
    // The playbook was limited to the canary, for the deploy and for the rollback.
    expect(j.filter((e) => e.event === 'deploy.output' || e.event === 'rollback.output').map((e) => String(e.line)).filter((l) => l.startsWith('$ ansible-playbook')).map((l) => l.match(/--limit (\S+)/)?.[1])).toEqual(['dhash-1', 'dhash-1']);

    // The notifications went to the fallback folder (no channel is configured here), naming the host.
    const fb = readdirSync(join(root, 'notifications', 'fallback')).map((f) => readFileSync(join(root, 'notifications', 'fallback', f), 'utf8'));
    expect(fb.some((t) => t.includes('rollback-success') && t.includes('dhash-1 runs 1.0.0'))).toBe(true);
    const rep = await rollout('report', '--env', 'fleet', '--json');
    expect(JSON.parse(rep.stdout)).toMatchObject({ waveAborts: { canary: 1 }, deployments: { failed: 1 } });
  }, 240_000);

  it('a good release (1.1.0) passes the canary; kill -9 between waves; a new deploy is refused; --resume promotes the rest wave by wave', async () => {
    // The dry run plans the waves (hosts and playbook commands) that the rollout below then walks.
    const dry = await rollout('deploy', '--env', 'fleet', '--version', '1.1.0', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = (JSON.parse(dry.stdout) as { waves: { name: string; hosts: string[]; command: string }[] }).waves;
    expect(planned.map((w) => w.name)).toEqual(['canary', 'wave-2', 'wave-3']);
    const before = await versions();
    await killAt(['deploy', '--env', 'fleet', '--version', '1.1.0', '--yes', '--auto-promote'], 'fleet:between-waves', async () => {
      const v = await versions();
      expect(v.map((x) => x!.version)).toEqual(['1.1.0', '1.0.0', '1.0.0', '1.0.0']);
    });
    const afterKill = await versions();
    const st = await rollout('service', 'status', '--env', 'fleet', '--json');
    expect(JSON.parse(st.stdout)).toMatchObject({ rollout: { version: '1.1.0', phase: 'running', waves: [{ name: 'canary', status: 'passed' }, { name: 'wave-2', status: 'pending' }, { name: 'wave-3', status: 'pending' }] } });
    const refused = await rollout('deploy', '--env', 'fleet', '--version', '1.1.0', '--yes', '--auto-promote');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/A fleet rollout of 1\.1\.0 to fleet is unfinished/);

    // Headless without --auto-promote: one more wave, then a pause that says how to go on.
    const one = await rollout('deploy', '--env', 'fleet', '--resume', '--yes');
    expect(one.code, one.stdout + one.stderr).toBe(0);
    expect(one.stdout).toMatch(/Paused after wave wave-2: dhash-1 and dhash-2 run 1\.1\.0 and passed the gates; dhash-3 and dhash-4 are next\. Continue with rollout deploy --env fleet --resume/);
    expect((await versions()).map((x) => x!.version)).toEqual(['1.1.0', '1.1.0', '1.0.0', '1.0.0']);
    const r = await rollout('deploy', '--env', 'fleet', '--resume', '--auto-promote', '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Deployed 1\.1\.0 to all 4 hosts of fleet in 3 waves \(canary: 1, wave-2: 1, wave-3: 2\); every wave passed its gates/);
    const now = await versions();
    expect(now.map((x) => x!.version)).toEqual(['1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    expect(now[0]!.pid).toBe(afterKill[0]!.pid); // the canary was not deployed again
    for (const i of [1, 2, 3]) expect(now[i]!.pid).not.toBe(before[i]!.pid);
    const j = journal();
    expect(j.filter((e) => e.event === 'fleet.wave.passed').map((e) => e.name)).toEqual(['canary', 'wave-2', 'wave-3']);
    expect(j.filter((e) => e.event === 'fleet.wave.start').map((e) => e.hosts)).toEqual([['dhash-1'], ['dhash-2'], ['dhash-3', 'dhash-4']]);
    expect(j.filter((e) => e.event === 'fleet.wave.start').map((e) => e.hosts)).toEqual(planned.map((w) => w.hosts));
    const ran = j.filter((e) => e.event === 'deploy.output' && typeof e.line === 'string' && e.line.startsWith('$ ')).map((e) => (e.line as string).slice(2));
    expect(ran).toEqual(planned.map((w) => w.command));
    expect(j.filter((e) => e.event === 'fleet.resume')).toHaveLength(2);
    expect(j.filter((e) => e.event === 'deploy.done')).toEqual([expect.objectContaining({ version: '1.1.0', fleet: true })]);
  }, 240_000);

  it('baseline mode: a canary 30 % slower than the baseline hosts breaches while far under the fixed 2000 ms threshold', async () => {
    byHand('1.3.0-base');
    editRunbook((s) => s.replace('# baseline: { margin_percent: 25, gates: [p95_hash_time] }', 'baseline: { margin_percent: 20, gates: [p95_hash_time] }'));
    const r = await rollout('deploy', '--env', 'fleet', '--version', '1.3.1-slower', '--yes', '--auto-promote');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/baseline:p95_hash_time breached in wave canary \(baseline p95_hash_time: release hosts \d+(\.\d)? ms against baseline hosts \d+(\.\d)? ms/);
    const inc = newestIncident();
    expect(inc).toMatchObject({ outcome: 'rolled-back', trigger: { kind: 'auto', gate: 'baseline:p95_hash_time' }, hosts: [expect.objectContaining({ host: 'dhash-1', running: '1.3.0-base', ok: true })] });
    const t = inc.trigger as { value: number; threshold: number };
    expect(t.value).toBeLessThan(2000);
    expect(t.value).toBeGreaterThan(t.threshold);
    // At the breaching poll the fixed p95 gate itself was within its limit.
    const last = journal().filter((e) => e.event === 'fleet.poll').at(-1) as unknown as { decisions: { gate: string; status: string; value: number }[] };
    expect(last.decisions.find((d) => d.gate === 'p95_hash_time')).toMatchObject({ status: 'ok' });
    expect((await versions()).map((x) => x!.version)).toEqual(['1.3.0-base', '1.3.0-base', '1.3.0-base', '1.3.0-base']);
  }, 240_000);

  it('paused after the canary, then --abort: the canary is rolled back to what it ran, verified, a manual incident; the rest untouched', async () => {
    const before = await versions();
    const p = await rollout('deploy', '--env', 'fleet', '--version', '1.1.0', '--yes');
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toMatch(/Paused after wave canary/);
    expect((await version(0))!.version).toBe('1.1.0');
    const a = await rollout('deploy', '--env', 'fleet', '--abort');
    expect(a.code, a.stdout + a.stderr).toBe(1);
    expect(a.stderr).toMatch(/ops aborted the rollout after wave canary; rolled back dhash-1 \(dhash-1 runs 1\.3\.0-base; health and smoke checks pass on each\); dhash-2, dhash-3 and dhash-4 never got 1\.1\.0/);
    const now = await versions();
    expect(now[0]!.version).toBe('1.3.0-base');
    for (const i of [1, 2, 3]) expect(now[i]).toEqual(before[i]);
    expect(newestIncident()).toMatchObject({ trigger: { kind: 'manual', operator: 'ops' }, outcome: 'rolled-back', wave: 'canary' });
    const none = await rollout('deploy', '--env', 'fleet', '--abort');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No interrupted fleet rollout of fleet to abort/);
  }, 240_000);
});
