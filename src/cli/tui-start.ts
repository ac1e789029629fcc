// `rollout` with no arguments at a terminal: opens the TUI without building the command tree, so
// commander and the parser (~0.14 MB) are not compiled before the first frame. Anything else
// (an argument, or no terminal: usage then goes to stderr) takes the parsed path in main.ts.
import { CommandContext, type GlobalFlags } from './context.js';
import { applyColor, runHandler } from './run-handler.js';

/** True when the TUI can start without parsing: no argument at all, and stdin and stdout are terminals. */
export function bareTuiStart(argv: string[]): boolean {
  return argv.length <= 2 && Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Run the home command as `rollout` with no arguments would, and set the exit code. */
export async function startTui(): Promise<void> {
  const flags: GlobalFlags = { json: false, color: !process.env.NO_COLOR };
  applyColor(flags);
  // The home command reads the program only for usage (no terminal) or a mistyped command (an
  // argument): bareTuiStart() sends both to main.ts, so the tree is never asked for here.
  const ctx = new CommandContext(flags, 'rollout tui', {
    program: () => {
      throw new Error('the command tree is not loaded when the TUI starts without arguments');
    },
    main: async (argv) => (await import('./main.js')).main(argv),
  });
  process.exitCode = await runHandler(ctx, () => import('./commands/home.js'), [], {});
}
