// No internal error on hostile input (issue #13): environment names that are Object.prototype keys,
// a YAML alias bomb, numbers far outside any sane range, escape sequences in operator strings.
// Each ends in exit 2 with one sentence naming what and where, and no raw control character
// reaches the terminal.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli, type CliResult } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(() => ws.cleanup());

const rollout = (args: string[]): Promise<CliResult> => runCli(args, { cwd: ws.root, env: { SLACK_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, EMAIL_TO: undefined, SMTP_HOST: undefined, SMTP_URL: undefined } });

function oneSentence(r: CliResult, code: number): string {
  expect(r.code, r.stderr).toBe(code);
  const first = r.stderr.split('\n')[0]!;
  expect(first).toMatch(/^rollout: [^\n]+\.$/);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |TypeError/);
  return first;
}

// eslint-disable-next-line no-control-regex -- the point is to find raw control characters
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x9b]/;

function withConfig(edit: (cfg: { environments: Record<string, Record<string, unknown>> }) => void): () => void {
  const p = join(ws.root, 'quality-gates-config.json');
  const before = readFileSync(p, 'utf8');
  const cfg = JSON.parse(before) as { environments: Record<string, Record<string, unknown>> };
  edit(cfg);
  writeFileSync(p, JSON.stringify(cfg, null, 2));
  return () => writeFileSync(p, before);
}

describe('hostile input', () => {
  it('environment names that are Object.prototype keys are unknown environments (exit 2), for every command', async () => {
    for (const [env, args] of [
      ['__proto__', ['backup']],
      ['constructor', ['deploy', '--version', '1.0.0', '--dry-run']],
      ['toString', ['rollback', '--dry-run']],
      ['hasOwnProperty', ['monitor', '--duration', '1']],
      ['__proto__', ['verify']],
      ['valueOf', ['service', 'status']],
    ] as const) {
      const r = await rollout([...args, '--env', env]);
      const s = oneSentence(r, 2);
      expect(s).toContain(`Unknown environment "${env}"`);
      expect(s).toMatch(/defines production, staging, development/);
    }
  }, 120_000);

  it('a YAML alias bomb in a runbook is refused naming the file, not expanded', async () => {
    const p = join(ws.root, 'runbooks', 'dhash.yaml');
    const before = readFileSync(p, 'utf8');
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    writeFileSync(p, `${before}\nx-bomb:\n${bomb.map((l) => `  ${l}`).join('\n')}\n`);
    try {
      const r = await rollout(['validate-config']);
      expect(oneSentence(r, 2)).toBe('rollout: runbooks/dhash.yaml: too many YAML aliases (more than 100 expansions, the shape of an alias bomb); write the values out instead.');
    } finally {
      writeFileSync(p, before);
    }
  }, 60_000);

  it('numbers outside a sane range are refused with the range and the JSON path', async () => {
    const cases: [(c: { environments: Record<string, Record<string, unknown>> }) => void, RegExp][] = [
      [(c) => (c.environments.staging!.monitoring = { duration_minutes: 1e12 }), /environments\.staging\.monitoring\.duration_minutes: expected a number of minutes from 0\.01 to 10080, got 1000000000000\./],
      [(c) => (c.environments.staging!.monitoring = { polling: [{ interval_seconds: 1e-9 }] }), /environments\.staging\.monitoring\.polling\[0\]\.interval_seconds: expected a number of seconds from 0\.1 to 3600, got 1e-9\./],
      [(c) => ((c.environments.staging!.quality_gates as Record<string, Record<string, unknown>>).p95_hash_time!.window_minutes = 1e9), /window_minutes: expected a number of minutes from 0 to 1440/],
      [(c) => ((c.environments.staging!.quality_gates as Record<string, Record<string, unknown>>).low_confidence_queue!.threshold = 1e300), /threshold: expected a number from 0 to 1000000000/],
      [(c) => (c.environments.staging!.monitoring = { health_ok_required: 1e6 }), /health_ok_required: expected a whole number from 1 to 100/],
    ];
    for (const [edit, re] of cases) {
      const restore = withConfig(edit);
      try {
        const r = await rollout(['validate-config']);
        expect(oneSentence(r, 2)).toMatch(re);
        expect(r.stderr).toMatch(/^rollout: quality-gates-config\.json:\d+: /);
      } finally {
        restore();
      }
    }
    const d = await rollout(['monitor', '--env', 'staging', '--duration', '1e12']);
    expect(oneSentence(d, 2)).toBe('rollout: --duration expects a number of minutes from 0.01 to 10080, got "1e12".');
  }, 120_000);

  it('escape sequences in operator strings reach the terminal escaped, never raw', async () => {
    const evil = '1.0\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e';
    const d = await rollout(['deploy', '--env', 'staging', '--version', evil, '--dry-run']);
    expect(oneSentence(d, 2)).toContain('Unknown version "1.0\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202e"');
    const n = await rollout(['notify', '--type', 'test', '--env', 'staging', '--message', `hello ${evil}`, '--dry-run']);
    expect(n.code).toBe(0);
    const u = await rollout(['backup', '--env', `x\x1b[31m`]);
    expect(u.code).toBe(2);
    for (const r of [d, n, u]) {
      expect(r.stdout).not.toMatch(RAW_CONTROL);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      expect(`${r.stdout}${r.stderr}`).not.toContain('\u202e');
    }
  }, 60_000);
});
