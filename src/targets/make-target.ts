// Choose the Target implementation from the environment's runbook section.
import type { EngineContext } from '../config/engine-context.js';
import { CommandTarget } from './command.js';
import { LocalTarget } from './local.js';
import type { Target } from './contract.js';
import { UsageError } from '../domain/errors.js';

/** The target of the context's environment (local embedded service or runbook commands). */
export function makeTarget(ctx: EngineContext): Target {
  const t = ctx.target.target;
  if (t.kind === 'local') return new LocalTarget(ctx.ws.root, ctx.env, t, ctx.target.health, ctx.target.backup?.include);
  // A fleet is many hosts, each with its own version: the single-target commands do not apply.
  if (t.kind === 'ansible') throw new UsageError(`${ctx.env} is a fleet (target kind ansible): roll it out with rollout deploy --env ${ctx.env} (waves, per-host rollback) and read it with rollout service status --env ${ctx.env}.`);
  return new CommandTarget(ctx.ws.root, ctx.env, t, ctx.target.health, ctx.target.backup?.include ?? []);
}
