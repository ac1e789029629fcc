// Runs one command handler and maps its end to an exit code, without commander: shared by the
// parsed command line (main.ts) and the TUI's no-argument start (tui-start.ts).
import { CommandContext, type GlobalFlags, type ProgramAccess } from './context.js';
import { handleError, reportOutcome } from './handle-error.js';
import { outcomeOfCode, type Outcome } from '../domain/outcome.js';
import { ExitCode } from '../domain/errors.js';

/** A handler module: one `run` per subcommand; it returns an Outcome (or a bare code it has already explained). */
export type Handler = (ctx: CommandContext, args: string[], opts: Record<string, unknown>) => Promise<Outcome | number | void>;
export type Loader = () => Promise<{ run: Handler }>;

/** Apply --no-color (or NO_COLOR) to the environment, for the libraries that read it. */
export function applyColor(flags: GlobalFlags): void {
  if (!flags.color) {
    process.env.NO_COLOR = '1';
    process.env.FORCE_COLOR = '0';
  }
}

/** Load and run a handler; every end (a thrown error too) goes through the one mapper. Returns the exit code. */
export async function runHandler(ctx: CommandContext, loader: Loader, args: string[], opts: Record<string, unknown>): Promise<number> {
  try {
    const mod = await loader();
    const r = await mod.run(ctx, args, opts);
    return reportOutcome(typeof r === 'object' ? r : outcomeOfCode(r ?? ExitCode.ok), { json: ctx.flags.json, resulted: ctx.resulted });
  } catch (e) {
    return handleError(e, ctx.flags.json);
  }
}

/**
 * Run a parsed command line: its global flags from the options, its context, its handler.
 * Returns the exit code. Shared by commander's actions (main.ts) and the direct path (direct.ts).
 */
export async function runCommand(name: string, loader: Loader, args: string[], opts: Record<string, unknown>, cli: ProgramAccess): Promise<number> {
  const flags: GlobalFlags = { json: Boolean(opts.json), color: opts.color !== false && !process.env.NO_COLOR, ...(typeof opts.config === 'string' ? { config: opts.config } : {}) };
  applyColor(flags);
  const ctx = new CommandContext(flags, `rollout ${name} ${process.argv.slice(3).join(' ')}`.trim(), cli);
  return runHandler(ctx, loader, args, opts);
}
