// What every command handler gets: the parsed global flags, the workspace (found lazily, so that
// --help and --version never touch the disk), and the output helpers.
import type { Command } from 'commander';
import { findWorkspace, type Workspace } from '../config/workspace.js';
import { terminalSafe } from '../domain/terminal-text.js';
import { redact } from '../audit/redact.js';

/** Global flags shared by all subcommands. */
export interface GlobalFlags {
  json: boolean;
  config?: string;
  color: boolean;
}

/**
 * What main.ts hands the commands that need the program itself (help, completion, a typo's
 * did-you-mean, seed scripts): passed in rather than imported, so no command imports main.ts
 * (that import made a cycle main.ts -> commands -> main.ts).
 */
export interface ProgramAccess {
  /** The whole command tree, freshly built. */
  program: () => Command;
  /** Parse and run another command line in this process (sets process.exitCode). */
  main: (argv: string[]) => Promise<void>;
}

/** The context of one command invocation. */
export class CommandContext {
  readonly flags: GlobalFlags;
  readonly commandLine: string;
  readonly cli: ProgramAccess;
  /** True once the command printed its --json result object (a failure then adds none). */
  resulted = false;
  private ws: Workspace | undefined;

  constructor(flags: GlobalFlags, commandLine: string, cli: ProgramAccess) {
    this.flags = flags;
    this.commandLine = commandLine;
    this.cli = cli;
  }

  /** The workspace, found from --config or the current folder. */
  get workspace(): Workspace {
    this.ws ??= findWorkspace(this.flags.config);
    return this.ws;
  }

  /** True when stdin and stdout are terminals (the TUI may be used). */
  get interactive(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY);
  }

  /** Print human text (skipped with --json). */
  say(text: string): void {
    if (!this.flags.json) process.stdout.write(terminalSafe(`${redact(text)}\n`));
  }

  /** Print the one machine-readable result object (only with --json). */
  result(obj: Record<string, unknown>): void {
    this.resulted = true;
    if (this.flags.json) process.stdout.write(`${JSON.stringify(redact(obj))}\n`);
  }

  /** Print one NDJSON line (streaming commands such as monitor). */
  jsonLine(obj: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(redact(obj))}\n`);
  }
}

/** The operator's name: --operator, ROLLOUT_OPERATOR, or the login name. */
export function operatorName(flag?: string): string {
  if (flag) return flag;
  if (process.env.ROLLOUT_OPERATOR) return process.env.ROLLOUT_OPERATOR;
  return process.env.USER ?? process.env.USERNAME ?? 'operator';
}
