// Given the built `rollout` program, when it is run as an operator or CI would, then the exit
// codes and one-sentence errors are SPEC.md's, and no stack trace is ever printed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(() => ws.cleanup());

function noStack(s: string): void {
  expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('rollout CLI', () => {
  it('--help lists the whole command surface of SPEC.md with examples', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['run', 'backup', 'verify', 'deploy', 'migrate', 'monitor', 'rollback', 'smoke', 'notify', 'premerge', 'train', 'service', 'incident', 'validate-config', 'validate-logging', 'report', 'prune']) expect(r.stdout).toMatch(new RegExp(`\\n  ${c} `));
    for (const f of ['--json', '--config', '--no-color', '--version', '-h, --help']) expect(r.stdout).toContain(f);
    const deploy = await runCli(['deploy', '--help']);
    for (const f of ['--env', '--version', '--backup-first', '--dry-run', '--yes', '--no-monitor']) expect(deploy.stdout).toContain(f);
    expect(deploy.stdout).toContain('Example:');
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a mistyped command or subcommand gets one line with "did you mean" and exit 2', async () => {
    const a = await runCli(['deplyo'], { cwd: ws.root });
    expect(a.code).toBe(2);
    expect(a.stderr).toBe('rollout: Unknown command "deplyo" (did you mean deploy?); see rollout --help for the list.\n');
    const b = await runCli(['service', 'statsu', '--env', 'staging'], { cwd: ws.root });
    expect(b.code).toBe(2);
    expect(b.stderr).toBe("rollout: unknown command 'statsu' (Did you mean status?).\n");
  });

  it('with no subcommand and no terminal prints usage and exits 2', async () => {
    const r = await runCli([], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: rollout');
    expect(r.stderr).toContain('no terminal');
  });

  it('validate-config exits 0 on the shipped files and reports them with --json', async () => {
    const r = await runCli(['validate-config', '--json'], { cwd: ws.root });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; environments: { name: string }[]; runbooks: { name: string }[] };
    expect(out.ok).toBe(true);
    expect(out.environments.map((e) => e.name)).toEqual(['production', 'staging', 'development']);
    expect(out.runbooks.map((r) => r.name)).toEqual(['dhash', 'emergency-rollback']);
  });

  it('a broken config exits 2 naming the file, JSON path and line, without a stack trace', async () => {
    const cfg = join(ws.root, 'broken.json');
    writeFileSync(cfg, '{\n  "environments": {\n    "production": {\n      "quality_gates": { "health_failures": { "threshold": 2, "window_minutes": -5 } }\n    }\n  }\n}\n');
    const r = await runCli(['validate-config', '--config', cfg], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rollout: broken.json:4: environments.production.quality_gates.health_failures.window_minutes: expected a number of minutes from 0 to 1440, got -5.\n');
    noStack(r.stderr);
  });

  it('a broken runbook exits 2 naming file and line', async () => {
    writeFileSync(join(ws.root, 'runbooks', 'zz-broken.yaml'), 'name: zz\ntitle: Z\nextends: dhash.yaml\nsteps:\n  - { id: a, type: launch }\n');
    const r = await runCli(['validate-config'], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rollout: runbooks\/zz-broken\.yaml:5: steps\[0\]\.type: expected a step type/);
    const { rmSync } = await import('node:fs');
    rmSync(join(ws.root, 'runbooks', 'zz-broken.yaml'));
  });

  it('an unknown flag, a bad choice, a missing --env or an unknown command exits 2 with one sentence', async () => {
    for (const args of [['deploy', '--env', 'staging', '--bogus'], ['migrate', '--env', 'staging', '--type', 'sideways'], ['deploy'], ['frobnicate']]) {
      const r = await runCli(args, { cwd: ws.root });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^rollout: /);
      noStack(r.stderr);
    }
  });

  it('no workspace found exits 2 and says how to point at one', async () => {
    const r = await runCli(['validate-config'], { cwd: '/' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No quality-gates-config.json');
    expect(r.stderr).toContain('--config');
  });

  it('--json turns a failure into one result object as well', async () => {
    const r = await runCli(['validate-config', '--json', '--config', '/nonexistent/q.json'], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exit_code: 2 });
  });
});
