// Given `rollout completion bash`, when bash sources it and its completion function is called as
// bash would on TAB, then commands, subcommands, flags and flag values complete from the same
// command tree as --help; zsh and fish get scripts of their own (syntax-checked where installed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const has = (bin: string): boolean => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
let dir: string;
let bashScript: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-completion-'));
  const r = await runCli(['completion', 'bash']);
  expect(r.code, r.stderr).toBe(0);
  bashScript = join(dir, 'rollout.bash');
  writeFileSync(bashScript, r.stdout);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash offers for the words typed so far (the last one is being completed). */
function complete(...words: string[]): string[] {
  const arr = ['rollout', ...words].map((w) => `'${w}'`).join(' ');
  const script = `source '${bashScript}'; COMP_WORDS=(${arr}); COMP_CWORD=${words.length}; COMP_LINE="\${COMP_WORDS[*]}"; _rollout; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe.skipIf(!has('bash') || process.platform === 'win32')('bash completion', () => {
  it('registers _rollout for rollout', () => {
    const r = spawnSync('bash', ['--norc', '-c', `source '${bashScript}'; complete -p rollout`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -o default -F _rollout rollout');
  });

  it('completes commands, subcommands and help topics', () => {
    expect(complete('de')).toEqual(['deploy']);
    expect(complete('in')).toEqual(['incident', 'init']);
    expect(complete('service', 's')).toEqual(['start', 'status', 'stop']);
    expect(complete('incident', '')).toEqual(['close', 'list', 'show']);
    expect(complete('help', 'ser')).toEqual(['service']);
    expect(complete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
  });

  it('completes the flags of the command typed, skipping flag values on the way', () => {
    expect(complete('deploy', '--e')).toEqual(['--env']);
    expect(complete('deploy', '--env', 'staging', '--v')).toEqual(['--version']);
    expect(complete('deploy', '--b')).toEqual(['--backup-first']);
    expect(complete('rollback', '--env', 'production', '--f')).toEqual(['--force']);
    expect(complete('smoke', '--')).toEqual(expect.arrayContaining(['--tier', '--phase', '--dry-run', '--output', '--json', '--config']));
    expect(complete('--v')).toEqual(['--version']);
  });

  it('completes flag values: environments and choices', () => {
    expect(complete('deploy', '--env', '')).toEqual(['development', 'production', 'staging']);
    expect(complete('deploy', '--env', 'pr')).toEqual(['production']);
    expect(complete('migrate', '--env', 'staging', '--type', '')).toEqual(['backward', 'forward']);
    expect(complete('smoke', '--tier', '')).toEqual(['all', 'critical', 'standard']);
    expect(complete('init', '--example', 'k')).toEqual(['kubernetes']);
    expect(complete('service', 'stop', '--env', 'st')).toEqual(['staging']);
  });

  it('completes file names for --backup and the verify argument', () => {
    writeFileSync(join(dir, 'dhash_production_20261130_101500.zip'), '');
    expect(complete('rollback', '--backup', 'dhash_pro')).toEqual(['dhash_production_20261130_101500.zip']);
    expect(complete('verify', 'dhash_p')).toEqual(['dhash_production_20261130_101500.zip']);
  });
});

describe('zsh and fish completion', () => {
  it('zsh: a #compdef script that zsh parses', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#compdef rollout\n')).toBe(true);
    expect(r.stdout).toContain('bashcompinit');
    if (has('zsh')) {
      const f = join(dir, '_rollout');
      writeFileSync(f, r.stdout);
      expect(spawnSync('zsh', ['-n', f]).status).toBe(0);
    }
  });

  it('fish: complete lines for commands, subcommands and flag values', async () => {
    const r = await runCli(['completion', 'fish']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`complete -c rollout -n "not __fish_seen_subcommand_from`);
    expect(r.stdout).toMatch(/complete -c rollout -n "__fish_seen_subcommand_from deploy" -l env -x -a 'production staging development'/);
    expect(r.stdout).toMatch(/complete -c rollout -n "__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from status start stop" -a 'stop'/);
    if (has('fish')) {
      const f = join(dir, 'rollout.fish');
      writeFileSync(f, r.stdout);
      expect(spawnSync('fish', ['-n', f]).status).toBe(0);
    }
  });

  it('an unknown shell is exit 2 with one sentence', async () => {
    const r = await runCli(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rollout: rollout completion needs a shell: bash, zsh or fish (not "powershell").\n');
  });
});
