// Given a headless command, when main() builds only the typed subcommand's branch of the command
// tree (lazyProgram), then every help text, error message and exit code is byte for byte what the
// whole tree gives: each subcommand's --help and a set of bad invocations go through both trees.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, lazyProgram, main } from '../../src/cli/main.js';

interface Outcome {
  stdout: string;
  stderr: string;
  code: number | string | undefined;
}

/** Run main() in process on one tree, capturing what it writes and the exit code it sets. */
async function run(args: string[], program: 'lazy' | 'full'): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  process.exitCode = undefined;
  try {
    const argv = ['node', 'rollout', ...args];
    if (program === 'full') await main(argv, buildProgram());
    else await main(argv);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = process.exitCode;
  process.exitCode = undefined;
  return { stdout: out.join(''), stderr: err.join(''), code };
}

afterEach(() => {
  process.exitCode = undefined;
});

const full = buildProgram();
// Every subcommand the lazy path serves (help and completion read the whole tree, so they never do).
const names = full.commands.map((c) => c.name()).filter((n) => n !== 'help' && n !== 'completion');

describe('the lazy command tree', () => {
  it('holds only the typed subcommand, and serves every other one', () => {
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) {
      const lazy = lazyProgram(n);
      expect(lazy?.commands.map((c) => c.name()), n).toEqual([n]);
      // Its own subcommands (service status, incident show) come with it.
      expect(lazy!.commands[0]!.commands.map((c) => c.name()), n).toEqual(full.commands.find((c) => c.name() === n)!.commands.map((c) => c.name()));
    }
    for (const other of [undefined, '', '--json', '-h', 'help', 'completion', 'deplyo', 'Deploy', '__proto__', 'constructor', 'status']) expect(lazyProgram(other), String(other)).toBeUndefined();
  });

  it('prints each subcommand\'s help as the whole tree does', async () => {
    const cases: string[][] = [];
    for (const c of full.commands) {
      if (c.name() === 'seed-script') continue; // no help option: --help would be its script's argument
      cases.push([c.name(), '--help'], [c.name(), '-h']);
      for (const s of c.commands) cases.push([c.name(), s.name(), '--help']);
    }
    for (const args of cases) {
      const lazy = await run(args, 'lazy');
      expect(lazy.code, args.join(' ')).toBe(0);
      expect(lazy.stdout, args.join(' ')).toMatch(/^Usage: rollout /);
      expect(lazy, args.join(' ')).toEqual(await run(args, 'full'));
    }
  });

  it('fails bad invocations with the same sentence, suggestion and exit code', async () => {
    const cases: string[][] = [
      ['deploy', '--verison', '1.1.0', '--env', 'staging'], // "Did you mean --version?"
      ['rollback', '--forse', '--env', 'staging'],
      ['deploy', '--env'], // an option's argument missing
      ['deploy', '--version', '1.1.0'], // a required option missing
      ['migrate', '--env', 'staging', '--type', 'sideways'], // not one of the choices
      ['smoke', '--env', 'staging', '--tier', 'some'],
      ['incident', 'show'], // a missing argument
      ['incident', 'shwo', 'x'], // unknown subcommand of a command, with a suggestion
      ['incident', 'close', 'INC-1', '--flase-positive'],
      ['service', 'restart', '--env', 'staging'],
      ['seed-script'],
      ['init', 'a', 'b'], // too many arguments
      ['verify', 'a', 'b', '--env', 'staging'],
      ['premerge', 'x'],
      ['deploy', '--bogus', '--json'], // the --json result object on stdout
      ['deploy', '--env', 'staging', '--json', '--nope'],
      ['train', '--speed'],
      ['notify', '--type', 'test', '--env', 'staging'],
      ['deploy', '--env', 'staging', '--\u001b[31mred'], // what was typed is escaped the same
      // Not lazily served: the whole tree in both runs, shown here for the record.
      ['deplyo', '--env', 'staging'],
      ['completion'],
      ['help', '--bogus'],
      ['--bogus'],
    ];
    for (const args of cases) {
      const lazy = await run(args, 'lazy');
      expect(lazy.code, args.join(' ')).toBe(2);
      expect(lazy.stderr + lazy.stdout, args.join(' ')).toMatch(/\S/);
      expect(lazy, args.join(' ')).toEqual(await run(args, 'full'));
    }
    // A command of commands alone prints its help on stderr (exit 0, as before the lazy tree).
    const service = await run(['service'], 'lazy');
    expect(service.stderr).toMatch(/^Usage: rollout service /);
    expect(service).toEqual(await run(['service'], 'full'));
    const typo = await run(['deploy', '--verison', '1.1.0', '--env', 'staging'], 'lazy');
    expect(typo.stderr).toBe("rollout: unknown option '--verison' (Did you mean --version?).\n");
    const sub = await run(['incident', 'shwo', 'x'], 'lazy');
    expect(sub.stderr).toContain('(Did you mean show?)');
  });
});
