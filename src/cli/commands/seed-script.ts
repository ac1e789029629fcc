// rollout seed-script NAME ARGS…: what scripts/<NAME>.sh|.js|.ps1 run. Maps the seeds' flags
// (src/usecases/seed-scripts.ts) and runs the rollout command in this process.
import { seedCommandLine } from '../../usecases/seed-scripts.js';
import { UsageError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';

/** Run the mapped command and return its exit code. */
export async function run(ctx: CommandContext, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name) throw new UsageError('rollout seed-script needs the script name, e.g. deploy_dhash.');
  const { argv, notes } = seedCommandLine(name, rest);
  for (const n of notes) process.stderr.write(`${n}\n`);
  await ctx.cli.main([process.argv[0] ?? 'node', process.argv[1] ?? 'rollout', ...argv]);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
