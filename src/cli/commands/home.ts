// `rollout` with no subcommand: the TUI in a terminal; outside one, usage and exit 2.
import type { CommandContext } from '../context.js';
import { UsageError } from '../../domain/errors.js';
import { loadTui } from '../tui-loader.js';

/** Open the TUI, or refuse with usage when there is no terminal. */
export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.length) throw new UsageError(`Unknown command "${args[0]}"; see rollout --help for the list.`);
  if (!ctx.interactive || ctx.flags.json) {
    const { buildProgram } = await import('../main.js');
    process.stderr.write(buildProgram().helpInformation());
    process.stderr.write('rollout: no subcommand given and no terminal to open the TUI in; choose a subcommand above.\n');
    return 2;
  }
  const { runTui } = await loadTui(() => import('../../ui/run-tui.js'));
  return runTui(ctx);
}
