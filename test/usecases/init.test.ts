// Given an empty folder, when `rollout init` runs, then it holds a workspace that validates, whose
// $schema resolves from there, whose scripts are executable and whose .gitignore keeps what rollout
// writes out of git; a second init refuses (exit 3) and changes nothing unless --force; and a demo
// rollout runs there: deploy, backup, status, stop, with the service's own log in logs/.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, rewirePorts, runCli } from '../helpers/cli.js';
import { alive, killServices } from '../demo/service-helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rollout-init-'));
});
afterAll(async () => {
  for (const d of readdirSync(tmp)) await killServices(join(tmp, d));
  rmSync(tmp, { recursive: true, force: true });
});

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('rollout init', () => {
  it('writes a workspace into an empty folder that validates with its own schema', async () => {
    const r = await runCli(['init', 'fresh', '--json'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; example: string; files: string[] };
    expect(out).toMatchObject({ ok: true, example: 'local' });
    const ws = join(tmp, 'fresh');
    for (const f of ['quality-gates-config.json', 'runbooks/dhash.yaml', 'runbooks/emergency-rollback.yaml', '.gitignore', 'README.md', 'scripts/deploy_dhash.sh', 'scripts/deploy_dhash.ps1', 'scripts/monitor_dhash.js']) {
      expect(existsSync(join(ws, f)), f).toBe(true);
      expect(out.files).toContain(f);
    }
    const cfg = JSON.parse(readFileSync(join(ws, 'quality-gates-config.json'), 'utf8')) as { $schema: string };
    const schema = JSON.parse(readFileSync(resolve(ws, cfg.$schema), 'utf8')) as { $schema: string };
    expect(schema.$schema).toMatch(/json-schema\.org/);
    if (process.platform !== 'win32') expect(statSync(join(ws, 'scripts', 'deploy_dhash.sh')).mode & 0o111).not.toBe(0);
    const gi = readFileSync(join(ws, '.gitignore'), 'utf8').split('\n');
    for (const line of ['/backups/*', '/logs/*', '/deployments/', '/config/', '/.rollout/', '/migrations/*_migration_state.json', '/incidents/']) expect(gi).toContain(line);
    const v = await runCli(['validate-config'], { cwd: ws });
    expect(v.code, v.stderr).toBe(0);
  });

  it('refuses to overwrite (exit 3) and changes nothing; --force overwrites', async () => {
    const ws = join(tmp, 'fresh');
    writeFileSync(join(ws, 'runbooks', 'dhash.yaml'), '# my own edits\n');
    const before = snapshot(ws);
    const r = await runCli(['init', 'fresh'], { cwd: tmp });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^rollout: fresh[\\/]quality-gates-config\.json already exists \(and \d+ more of the files init writes\), so init changed nothing; pass --force to overwrite them\.\n/);
    expect(snapshot(ws)).toEqual(before);
    // One file of init's in an otherwise empty folder is enough to refuse.
    const one = join(tmp, 'one');
    const r1 = await runCli(['init', one], { cwd: tmp });
    expect(r1.code).toBe(0);
    rmSync(join(one, 'quality-gates-config.json'));
    const r2 = await runCli(['init', one], { cwd: tmp });
    expect(r2.code).toBe(3);
    expect(existsSync(join(one, 'quality-gates-config.json'))).toBe(false);
    const f = await runCli(['init', 'fresh', '--force', '--json'], { cwd: tmp });
    expect(f.code, f.stderr).toBe(0);
    expect((JSON.parse(f.stdout) as { overwritten: string[] }).overwritten).toContain('runbooks/dhash.yaml');
    expect(readFileSync(join(ws, 'runbooks', 'dhash.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'runbooks', 'dhash.yaml'), 'utf8'));
  });

  it('initialises the current folder when no DIR is given', async () => {
    const here = join(tmp, 'here');
    const mk = await runCli(['init', here], { cwd: tmp });
    expect(mk.code).toBe(0);
    rmSync(here, { recursive: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(here);
    const r = await runCli(['init'], { cwd: here });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(here, 'quality-gates-config.json'))).toBe(true);
  });

  it('bad input is exit 2 with one sentence: unknown example, an example this version lacks, DIR a file', async () => {
    const bad = await runCli(['init', 'x', '--example', 'nomad'], { cwd: tmp });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rollout: option '--example <kind>' argument 'nomad' is invalid/);
    for (const kind of ['ansible', 'systemd', 'kubernetes', 'fleet']) {
      if (existsSync(join(REPO, 'runbooks', 'examples', kind))) continue;
      const r = await runCli(['init', `ex-${kind}`, '--example', kind], { cwd: tmp });
      expect(r.code, kind).toBe(2);
      expect(r.stderr).toBe(`rollout: The ${kind} example is not available in this version of guarded-rollout; use --example local (the embedded demo service) and edit runbooks/dhash.yaml.\n`);
      expect(existsSync(join(tmp, `ex-${kind}`))).toBe(false);
    }
    writeFileSync(join(tmp, 'afile'), 'x');
    const f = await runCli(['init', 'afile'], { cwd: tmp });
    expect(f.code).toBe(2);
    expect(f.stderr).toBe('rollout: afile exists and is not a folder.\n');
  });

  it('a demo rollout runs in the new folder: deploy, backup, status, the service log, stop', async () => {
    const ws = join(tmp, 'demo');
    expect((await runCli(['init', 'demo'], { cwd: tmp })).code).toBe(0);
    await rewirePorts(ws);
    const d = await runCli(['deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor'], { cwd: ws });
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/its log: logs\/dhash_staging_\d{8}_\d{6}\.log/);
    const b = await runCli(['backup', '--env', 'staging', '--json'], { cwd: ws });
    expect(b.code, b.stderr).toBe(0);
    const zip = (JSON.parse(b.stdout) as { backup: string }).backup;
    expect(existsSync(resolve(ws, zip))).toBe(true);
    const s = await runCli(['service', 'status', '--env', 'staging', '--json'], { cwd: ws });
    const st = JSON.parse(s.stdout) as { running: boolean; version: string; pid: number };
    expect(st).toMatchObject({ running: true, version: '1.1.0' });
    const logs = readdirSync(join(ws, 'logs')).filter((f) => /^dhash_staging_\d{8}_\d{6}\.log$/.test(f));
    expect(logs).toHaveLength(1);
    const text = readFileSync(join(ws, 'logs', logs[0]!), 'utf8');
    expect(text).toMatch(/^\S+Z INFO +dhash staging pid=\d+: listening port=\d+ version=1\.1\.0$/m);
    const stop = await runCli(['service', 'stop', '--env', 'staging'], { cwd: ws });
    expect(stop.code).toBe(0);
    expect(alive(st.pid)).toBe(false);
    expect(readFileSync(join(ws, 'logs', logs[0]!), 'utf8')).toMatch(/INFO +dhash staging pid=\d+: stopped$/m);
    // Both kinds of log pass logging validation.
    const v = await runCli(['validate-logging'], { cwd: ws });
    expect(v.code, v.stdout).toBe(0);
    expect(dirname(zip)).toBe('backups');
  }, 90_000);
});

describe('rollout init --example KIND', () => {
  it('copies runbooks/examples/KIND/ in place and makes its runbook the workspace\'s dhash.yaml', async () => {
    const { initWorkspace } = await import('../../src/usecases/init.js');
    const { cpSync, mkdirSync, rmSync } = await import('node:fs');
    // A package that ships only an ansible example (the shape of runbooks/examples/<kind>/).
    const pkg = join(tmp, 'pkg');
    for (const f of ['quality-gates-config.json', 'schemas', 'runbooks', 'scripts']) cpSync(join(REPO, f), join(pkg, f), { recursive: true });
    rmSync(join(pkg, 'runbooks', 'examples'), { recursive: true, force: true });
    mkdirSync(join(pkg, 'runbooks', 'examples', 'ansible'), { recursive: true });
    writeFileSync(join(pkg, 'runbooks', 'examples', 'ansible', 'dhash.yaml'), '# the ansible runbook\nname: dhash\n');
    writeFileSync(join(pkg, 'runbooks', 'examples', 'ansible', 'deploy.yml'), '- hosts: all\n');
    const r = initWorkspace(join(tmp, 'ans'), { example: 'ansible', pkg });
    expect(r.example).toBe('ansible');
    expect(readFileSync(join(tmp, 'ans', 'runbooks', 'dhash.yaml'), 'utf8')).toBe('# the ansible runbook\nname: dhash\n');
    expect(readFileSync(join(tmp, 'ans', 'runbooks', 'examples', 'ansible', 'deploy.yml'), 'utf8')).toBe('- hosts: all\n');
    expect(existsSync(join(tmp, 'ans', 'runbooks', 'emergency-rollback.yaml'))).toBe(true);
    expect(readFileSync(join(tmp, 'ans', 'README.md'), 'utf8')).toContain('rollout init --example ansible');
    // The same package without the example refuses the kind, writing nothing.
    expect(() => initWorkspace(join(tmp, 'sysd'), { example: 'systemd', pkg })).toThrow(/The systemd example is not available in this version/);
    expect(existsSync(join(tmp, 'sysd'))).toBe(false);
  });

  it('every example this checkout ships makes a workspace that validates', async () => {
    for (const kind of ['ansible', 'systemd', 'kubernetes']) {
      expect(existsSync(join(REPO, 'runbooks', 'examples', kind, 'dhash.yaml')), `runbooks/examples/${kind}/dhash.yaml`).toBe(true);
      const r = await runCli(['init', `shipped-${kind}`, '--example', kind], { cwd: tmp });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(tmp, `shipped-${kind}`, 'runbooks', 'dhash.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'runbooks', 'examples', kind, 'dhash.yaml'), 'utf8'));
      const v = await runCli(['validate-config'], { cwd: join(tmp, `shipped-${kind}`) });
      expect(v.code, `${kind}: ${v.stderr}`).toBe(0);
    }
  });
});
