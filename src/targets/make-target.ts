// Choose the Target implementation from the environment's runbook section.
import type { EngineContext } from '../config/engine-context.js';
import { CommandTarget } from './command.js';
import { LocalTarget } from './local.js';
import type { Target } from './contract.js';

/** The target of the context's environment (local embedded service or runbook commands). */
export function makeTarget(ctx: EngineContext): Target {
  const t = ctx.target.target;
  if (t.kind === 'local') return new LocalTarget(ctx.ws.root, ctx.env, t, ctx.target.health, ctx.target.backup?.include);
  return new CommandTarget(ctx.ws.root, ctx.env, t, ctx.target.health, ctx.target.backup?.include ?? []);
}
