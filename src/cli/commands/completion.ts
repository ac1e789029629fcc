// rollout completion bash|zsh|fish: print the shell's completion script.
import { UsageError } from '../../domain/errors.js';
import { bashCompletion, fishCompletion, zshCompletion } from '../completion.js';
import type { CommandContext } from '../context.js';

/** Print the script for the shell named. */
export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  const program = ctx.cli.program();
  const shell = args[0];
  const script = shell === 'bash' ? bashCompletion(program) : shell === 'zsh' ? zshCompletion(program) : shell === 'fish' ? fishCompletion(program) : undefined;
  if (!script) throw new UsageError(`rollout completion needs a shell: bash, zsh or fish${shell ? ` (not "${shell}")` : ''}.`);
  process.stdout.write(script);
  return 0;
}
