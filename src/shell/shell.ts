// The shell adapter: the one place that imports zx. It runs the commands a runbook or target
// names (build, restart, kubectl, systemctl, ...) with a timeout, capturing output line by line.
import type { ProcessPromise } from 'zx/core';

/** What a finished command left behind. */
export interface CommandResult {
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** Options for one command. */
export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Each output line as it arrives (for a live tail and the audit log). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

function lineSplitter(stream: 'stdout' | 'stderr', onLine: NonNullable<RunOptions['onLine']>): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk.toString();
    const lines = rest.split(/\r?\n/);
    rest = lines.pop() ?? '';
    for (const l of lines) onLine(l, stream);
  };
}

/** Run a shell command line (as written in a runbook) and return its result; never throws on failure. */
export async function runCommand(command: string, opts: RunOptions = {}): Promise<CommandResult> {
  const started = Date.now();
  // Loaded on first use: zx was compiled at the start of every command that might run one (service
  // status, backup, deploy, rollback), most of which never do on a local target. Its core only ($,
  // the same function zx's index re-exports): the index adds the scripting goods (fs-extra,
  // fast-glob, yaml, ~0.7 MB) that nothing here uses, once per module graph in the package.
  const { $ } = await import('zx/core');
  const shell = $({
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, ...opts.env },
    nothrow: true,
    quiet: true,
    verbose: false,
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs, timeoutSignal: 'SIGTERM' as const } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  // The command line is the runbook's own text, so it goes to the shell unquoted.
  const raw = Object.assign([command], { raw: [command] }) as unknown as TemplateStringsArray;
  const p: ProcessPromise = shell(raw);
  if (opts.onLine) {
    p.stdout.on('data', lineSplitter('stdout', opts.onLine));
    p.stderr.on('data', lineSplitter('stderr', opts.onLine));
  }
  const out = await p;
  const durationMs = Date.now() - started;
  const timedOut = Boolean(opts.timeoutMs) && out.exitCode === null && durationMs >= (opts.timeoutMs ?? 0) - 50;
  return { command, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr, durationMs, timedOut };
}

/** Fill `{name}` placeholders of a runbook command from a table of values. */
export function fillTemplate(command: string, values: Record<string, string>): string {
  return command.replace(/\{([a-z_]+)\}/g, (m, k: string) => values[k] ?? m);
}
