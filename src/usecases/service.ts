// The service use case: `rollout service status|start|stop` and the version a screen shows. start
// and stop take the environment lock; every answer carries an interrupted deploy's notice.
import type { EngineContext } from '../config/engine-context.js';
import { withEnvLock } from '../lock/env-lock.js';
import { describeInterruptedDeploy, interruptedDeploy } from '../steps/deploy-journal.js';
import type { ServiceStatus } from '../targets/contract.js';
import { makeTarget } from '../targets/make-target.js';

export type { ServiceStatus } from '../targets/contract.js';

/** What a service command found (after acting, for start and stop). */
export interface ServiceAnswer {
  status: ServiceStatus;
  /** An interrupted deploy of the environment, said as a sentence with next steps. */
  notice?: { message: string; nextSteps: string[] };
}

/** Report the service, after starting or stopping it under the environment lock. */
export async function serviceAction(ctx: EngineContext, verb: 'status' | 'start' | 'stop', o: { command: string; say: (line: string) => void }): Promise<ServiceAnswer> {
  const target = makeTarget(ctx);
  const pending = interruptedDeploy(ctx.ws.root, ctx.env);
  const holder = { operator: ctx.operator, command: o.command };
  if (verb === 'start') await withEnvLock(ctx.ws.locksDir, ctx.env, holder, () => target.start(o.say));
  if (verb === 'stop') await withEnvLock(ctx.ws.locksDir, ctx.env, holder, () => target.stop(o.say));
  const status = await target.status();
  const notice = pending ? describeInterruptedDeploy(pending, { ...(status.deployedVersion ? { deployed: status.deployedVersion } : {}), ...(status.running && status.version ? { running: status.version } : {}) }) : undefined;
  return { status, ...(notice ? { notice } : {}) };
}

/** The version the environment's target reports as deployed, or undefined when it cannot say. */
export async function deployedVersion(ctx: EngineContext): Promise<string | undefined> {
  return makeTarget(ctx).currentVersion().catch(() => undefined);
}
