// rollout help [COMMAND...]: the help of the program or of one command (`rollout help service stop`).
import { UsageError } from '../../domain/errors.js';
import { findCommand, helpOf } from '../help-text.js';
import type { CommandContext } from '../context.js';

/** Print the help text; an unknown command is exit 2. */
export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  const program = ctx.cli.program();
  const cmd = findCommand(program, args);
  if (!cmd) throw new UsageError(`No command "${args.join(' ')}"; rollout help lists them.`);
  process.stdout.write(helpOf(cmd));
  return 0;
}
