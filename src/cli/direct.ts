// The hot headless commands (rollback, deploy, service status|start|stop, verify) run without
// commander when their command line is plain: only that command's own long options, each once,
// each value a separate word not starting with '-', every required option there, and no more
// positional words than the command declares (verify's [backup]), none starting with '-'. Loading commander (its
// 140 KB chunk, the node:child_process it requires at its top) and building and walking the tree
// was ~25-30 ms of each of these starts. Anything else (help, a typo, a missing or repeated
// option, --opt=value, -x, a positional word, --no-color, which commander assigns by its own
// rules) goes to main.ts, so every message and exit code stays commander's.
// test/cli/direct.test.ts checks these tables against commander's tree and the parse against
// commander's on generated command lines.
import type { ProgramAccess } from './context.js';
import { runCommand, type Loader } from './run-handler.js';

/** One command the direct path serves: its long options as commander declares them. */
export interface DirectSpec {
  loader: Loader;
  /** Options taking a value (`--env <env>`). */
  values: readonly string[];
  /** Boolean options (`--force`). */
  flags: readonly string[];
  /** Negated options (`--no-monitor`): the option's key defaults to true, the flag sets false. */
  negated: readonly string[];
  /** Options commander requires (makeOptionMandatory / requiredOption). */
  required: readonly string[];
  /** How many optional positional words the command declares (verify [backup]: 1); none when unset. */
  positional?: number;
}

/** The globals every subcommand has (main.ts addGlobals), but --no-color: see the header. */
const GLOBAL_VALUES = ['--config'];
const GLOBAL_FLAGS = ['--json'];

const service: Loader = () => import('./commands/service.js');
const envOnly = (loader: Loader): DirectSpec => ({ loader, values: ['--env'], flags: [], negated: [], required: ['--env'] });

/** The commands served directly, by the words that name them. */
export const DIRECT: Readonly<Record<string, DirectSpec>> = {
  rollback: { loader: () => import('./commands/rollback.js'), values: ['--env', '--backup', '--operator'], flags: ['--force', '--dry-run', '--again'], negated: [], required: ['--env'] },
  deploy: {
    loader: () => import('./commands/deploy.js'),
    values: ['--env', '--version', '--operator'],
    flags: ['--auto-promote', '--abort', '--backup-first', '--dry-run', '--yes', '--resume'],
    negated: ['--no-monitor'],
    required: ['--env'],
  },
  'service status': envOnly(service),
  'service start': envOnly(service),
  'service stop': envOnly(service),
  verify: { loader: () => import('./commands/verify.js'), values: ['--env'], flags: [], negated: [], required: [], positional: 1 },
};

/** The key commander gives an option: `--dry-run` -> dryRun, `--no-monitor` -> monitor. */
export function optionKey(flag: string): string {
  return flag
    .replace(/^--(no-)?/, '')
    .replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** A plain command line of a served command, parsed as commander would; undefined for anything else. */
export function directCommand(argv: readonly string[]): { name: string; spec: DirectSpec; opts: Record<string, unknown>; args: string[] } | undefined {
  let i = 2;
  let name = argv[i++];
  if (name === 'service') name = `service ${argv[i++] ?? ''}`;
  if (name === undefined || !Object.hasOwn(DIRECT, name)) return undefined;
  const spec = DIRECT[name]!;
  const values = [...spec.values, ...GLOBAL_VALUES];
  const flags = [...spec.flags, ...GLOBAL_FLAGS];
  // What commander's optsWithGlobals() holds with no option typed: the defaults of negated options.
  const opts: Record<string, unknown> = { color: true };
  for (const n of spec.negated) opts[optionKey(n)] = true;
  const seen = new Set<string>();
  const args: string[] = [];
  while (i < argv.length) {
    const a = argv[i++]!;
    // A positional word (commander takes one between or after the options alike).
    if (!a.startsWith('-') && args.length < (spec.positional ?? 0)) {
      args.push(a);
      continue;
    }
    if (seen.has(a)) return undefined;
    seen.add(a);
    if (values.includes(a)) {
      const v = argv[i++];
      if (v === undefined || v.startsWith('-')) return undefined;
      opts[optionKey(a)] = v;
    } else if (flags.includes(a)) opts[optionKey(a)] = true;
    else if (spec.negated.includes(a)) opts[optionKey(a)] = false;
    else return undefined;
  }
  if (!spec.required.every((r) => seen.has(r))) return undefined;
  return { name, spec, opts, args };
}

/** Run a directly served command (sets process.exitCode); the program tree loads only if a handler asks for it. */
export async function runDirect(d: { name: string; spec: DirectSpec; opts: Record<string, unknown>; args: string[] }): Promise<void> {
  const cli: ProgramAccess = {
    // None of the served handlers reads the tree (help, completion and the TUI's home do); a
    // synchronous tree cannot be built here without loading commander up front.
    program: () => {
      throw new Error(`internal: rollout ${d.name} has no command tree on the direct path`);
    },
    main: async (argv) => (await import('./main.js')).main(argv),
  };
  process.exitCode = await runCommand(d.name, d.spec.loader, d.args, d.opts, cli);
}
