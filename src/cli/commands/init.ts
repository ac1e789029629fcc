// rollout init [DIR] [--example KIND] [--force]: a new workspace (see src/usecases/init.ts).
import { initWorkspace } from '../../usecases/init.js';
import type { CommandContext } from '../context.js';
import { displayPath } from '../paths.js';

/** Write the workspace; exit 3 when a file would be overwritten without --force. */
export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const dir = args[0] ?? '.';
  const r = initWorkspace(dir, { ...(typeof opts.example === 'string' ? { example: opts.example } : {}), force: opts.force === true });
  const shown = displayPath(r.dir) || '.';
  ctx.result({ ok: true, dir: r.dir, example: r.example, files: r.files, overwritten: r.overwritten });
  ctx.say(`Created a ${r.example} workspace in ${shown} (${r.files.length} files${r.overwritten.length ? `, ${r.overwritten.length} overwritten` : ''}):`);
  for (const f of r.files.filter((x) => !x.endsWith('.gitkeep'))) ctx.say(`  ${f}`);
  ctx.say('Next:');
  if (shown !== '.') ctx.say(`  cd ${shown}`);
  ctx.say('  rollout validate-config');
  if (r.example === 'fleet') ctx.say('  rollout deploy --env fleet --version 1.1.0 --yes --auto-promote   # 4 local hosts in waves (needs ansible-playbook)\n  rollout service status --env fleet');
  else ctx.say(r.example === 'local' ? '  rollout            # the TUI, on the embedded demo service' : '  edit runbooks/ for your hosts and commands, then: rollout deploy --env staging --dry-run');
  return 0;
}
