// `rollout` with no subcommand: the TUI in a terminal; outside one, usage and exit 2.
import type { CommandContext } from '../context.js';
import { UsageError } from '../../domain/errors.js';
import { loadTui } from '../tui-loader.js';

/** Open the TUI, or refuse with usage when there is no terminal. */
export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  if (args.length) {
    const names = ctx.cli.program().commands.map((c) => c.name());
    const near = closest(args[0]!, names);
    throw new UsageError(`Unknown command "${args[0]}"${near ? ` (did you mean ${near}?)` : ''}; see rollout --help for the list.`);
  }
  if (!ctx.interactive || ctx.flags.json) {
    process.stderr.write(ctx.cli.program().helpInformation());
    process.stderr.write('rollout: no subcommand given and no terminal to open the TUI in; choose a subcommand above.\n');
    return 2;
  }
  const { runTui } = await loadTui(() => import('../../ui/run-tui.js'));
  return runTui(ctx);
}

/** The command within two edits of what was typed (a typo), if any. */
export function closest(typed: string, names: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const n of names) {
    const d = distance(typed.toLowerCase(), n);
    if (d <= 2 && (!best || d < best.d)) best = { name: n, d };
  }
  return best?.name;
}

/** Damerau-Levenshtein (optimal string alignment) distance: "deplyo" is one swap from "deploy". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
