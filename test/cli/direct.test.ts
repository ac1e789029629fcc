// Given the direct path for rollback, deploy, service status|start|stop and verify (src/cli/direct.ts),
// when a command line is served without commander, then it is one that commander parses to the
// very same options, and everything else is left to commander: the tables are checked against the
// command tree, and generated command lines (odd values, repeats, typos, --opt=value, the
// __proto__ key) against commander's own parse.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Command } from 'commander';
import { DIRECT, directCommand, optionKey } from '../../src/cli/direct.js';
import { buildProgram } from '../../src/cli/main.js';

/** The (sub)command a direct name stands for, in a freshly built tree whose action records what it is given. */
function commanderParse(argv: string[]): { ok: true; opts: Record<string, unknown>; args: string[] } | { ok: false } {
  const [first, second] = argv;
  const program = buildProgram(first);
  let cmd = program.commands.find((c) => c.name() === first);
  if (cmd && first === 'service') cmd = cmd.commands.find((c) => c.name() === second);
  if (!cmd) return { ok: false };
  let got: { opts: Record<string, unknown>; args: string[] } | undefined;
  cmd.action((...a: unknown[]) => {
    const c = a[a.length - 1] as Command;
    got = { opts: c.optsWithGlobals(), args: c.args.map(String) };
  });
  for (const c of [program, ...program.commands, ...program.commands.flatMap((x) => x.commands)]) {
    c.exitOverride();
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  }
  try {
    program.parse(['node', 'rollout', ...argv]);
  } catch {
    return { ok: false };
  }
  return got ? { ok: true, ...got } : { ok: false };
}

function commandOf(name: string): Command {
  const [first, second] = name.split(' ');
  const c = buildProgram(first).commands.find((x) => x.name() === first)!;
  return second ? c.commands.find((x) => x.name() === second)! : c;
}

describe('the direct path of the hot commands', () => {
  it("knows exactly the options commander declares for each command (but -h and --no-color, left to commander)", () => {
    for (const [name, spec] of Object.entries(DIRECT)) {
      const options = commandOf(name).options.filter((o) => o.long !== '--help' && o.long !== '--no-color');
      const of = (pick: (o: (typeof options)[number]) => boolean): string[] => options.filter(pick).map((o) => o.long!).sort();
      expect(of((o) => o.required), name).toEqual([...spec.values, '--config'].sort());
      expect(of((o) => !o.required && !o.optional && !o.negate), name).toEqual([...spec.flags, '--json'].sort());
      expect(of((o) => o.negate), name).toEqual([...spec.negated].sort());
      expect(of((o) => o.mandatory), name).toEqual([...spec.required].sort());
      expect(options.some((o) => o.optional || o.variadic || o.argChoices || o.defaultValue !== undefined && !o.negate), name).toBe(false);
      // Positional words: only optional, single ones (verify [backup]), as many as the table says.
      const declared = commandOf(name).registeredArguments;
      expect(declared.length, name).toBe(spec.positional ?? 0);
      expect(declared.every((a) => !a.required && !a.variadic), name).toBe(true);
    }
  });

  it('serves the plain lines scripts and the bench type, with the options commander gives them', () => {
    const lines = [
      ['rollback', '--env', 'staging', '--json'],
      ['rollback', '--env', 'production', '--force', '--backup', 'backups/x.zip', '--operator', 'alice'],
      ['deploy', '--env', 'staging', '--version', '1.1.0', '--no-monitor', '--json'],
      ['deploy', '--yes', '--env', 'production', '--backup-first', '--config', 'q.json'],
      ['service', 'status', '--env', 'staging'],
      ['service', 'stop', '--json', '--env', 'staging'],
      ['verify', 'backups/dhash_staging_20261123_101500.zip'],
      ['verify', '--env', 'production'],
      ['verify', '--json', 'backups/x.zip', '--env', 'staging', '--config', 'q.json'],
      ['verify', '__proto__'],
    ];
    for (const argv of lines) {
      const d = directCommand(['node', 'rollout', ...argv]);
      expect(d, argv.join(' ')).toBeDefined();
      const c = commanderParse(argv);
      expect(c.ok, argv.join(' ')).toBe(true);
      expect(d!.opts, argv.join(' ')).toEqual(c.ok ? c.opts : undefined);
      expect(c.ok && c.args, argv.join(' ')).toEqual(d!.args);
    }
    expect(directCommand(['node', 'rollout', 'verify', '--env', 'staging', 'b.zip'])!.args).toEqual(['b.zip']);
    expect(directCommand(['node', 'rollout', 'deploy', '--env', 'staging', '--dry-run'])!.opts).toEqual({ color: true, monitor: true, env: 'staging', dryRun: true });
  });

  it('leaves every other line to commander', () => {
    for (const argv of [
      [],
      ['rollback'],
      ['rollback', '--help'],
      ['rollback', '-h'],
      ['rollback', '--env'],
      ['rollback', '--env=staging'],
      ['rollback', '--env', 'staging', '--env', 'production'],
      ['rollback', '--env', 'staging', '--forse'],
      ['rollback', '--env', 'staging', 'extra'],
      ['rollback', '--env', '-x'],
      ['rollback', '--env', 'staging', '--no-color'],
      ['deploy', '--version', '1.1.0'],
      ['service'],
      ['service', 'restart', '--env', 'staging'],
      ['service', '__proto__', '--env', 'staging'],
      ['__proto__', '--env', 'staging'],
      ['constructor', '--env', 'staging'],
      ['smoke', '--env', 'staging'],
      ['--json', 'rollback', '--env', 'staging'],
      ['verify', 'a.zip', 'b.zip'],
      ['verify', '--', 'a.zip'],
      ['verify', 'a.zip', '--help'],
      ['verify', '-x'],
      ['verify', '--env'],
      ['verify', '--env', 'staging', '--env', 'staging'],
      ['verify', '--env=staging', 'a.zip'],
    ]) {
      expect(directCommand(['node', 'rollout', ...argv]), argv.join(' ')).toBeUndefined();
    }
  });

  it('on generated lines: whatever it serves, commander parses to the same options and arguments', () => {
    const names = Object.keys(DIRECT);
    const word = fc.constantFrom('staging', 'production', '', ' ', '__proto__', 'constructor', 'toString', '1.1.0', 'a=b', '-', '-x', '--json', 'é', 'x y', '\u001b[31m');
    const line = fc
      .constantFrom(...names)
      .chain((name) => {
        const s = DIRECT[name]!;
        const token = fc.oneof(
          fc.constantFrom(...s.values, ...s.flags, ...s.negated, ...s.required, '--config', '--json', '--no-color', '--help', '-h', '--bogus', '--env=staging', '--'),
          word,
        );
        // Mostly option-value pairs (so that many lines are served), with stray tokens between.
        const pair = fc.oneof(
          { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...s.values, '--config'), word) },
          { weight: 3, arbitrary: fc.constantFrom(...s.flags, ...s.negated, '--json').map((f) => [f]) },
          { weight: 1, arbitrary: token.map((t) => [t]) },
        );
        return fc.tuple(fc.constant(name.split(' ')), fc.array(pair, { maxLength: 5 }), fc.boolean(), fc.nat());
      })
      // The required --env at a random place, or missing.
      .map(([words, pairs, withEnv, at]) => {
        const ps = [...pairs];
        if (withEnv) ps.splice(at % (ps.length + 1), 0, ['--env', 'staging']);
        return [...words, ...ps.flat()];
      });
    let served = 0;
    fc.assert(
      fc.property(line, (argv) => {
        const d = directCommand(['node', 'rollout', ...argv]);
        if (!d) return;
        served++;
        const c = commanderParse(argv);
        expect(c.ok, argv.join(' ')).toBe(true);
        if (c.ok) {
          expect(d.opts, argv.join(' ')).toEqual(c.opts);
          expect(c.args, argv.join(' ')).toEqual(d.args);
        }
      }),
      { numRuns: 400 },
    );
    // The property is about something: a good share of the lines took the direct path.
    expect(served).toBeGreaterThan(50);
  });

  it('names options as commander does', () => {
    expect(['--env', '--dry-run', '--auto-promote', '--no-monitor', '--backup-first'].map(optionKey)).toEqual(['env', 'dryRun', 'autoPromote', 'monitor', 'backupFirst']);
  });
});
