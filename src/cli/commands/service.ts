// rollout service status|start|stop --env E: the environment's running service (the embedded
// one, or the command target's own status/start/stop). start and stop take the environment lock.
import { UsageError } from '../../domain/errors.js';
import { withEnvLock } from '../../lock/env-lock.js';
import { loadEngineContext } from '../../config/engine-context.js';
import { describeInterruptedDeploy, interruptedDeploy } from '../../steps/deploy-journal.js';
import { makeTarget } from '../../targets/make-target.js';
import type { ServiceStatus } from '../../targets/contract.js';
import { operatorName, type CommandContext } from '../context.js';

function statusJson(env: string, st: ServiceStatus): Record<string, unknown> {
  return {
    env,
    running: st.running,
    version: st.version ?? null,
    deployed_version: st.deployedVersion ?? null,
    pid: st.pid ?? null,
    url: st.url ?? null,
    health: st.health ?? null,
    note: st.note ?? null,
  };
}

function statusLine(env: string, st: ServiceStatus): string {
  const what = st.running ? `running ${st.version ?? 'unknown version'}${st.pid ? ` (pid ${st.pid})` : ''}` : `not running${st.deployedVersion ? ` (${st.deployedVersion} is deployed)` : ' (nothing deployed)'}`;
  const health = st.health ? ` — health ${st.health.ok ? 'OK' : 'not OK'}: ${st.health.detail}` : '';
  return `${env}: ${what}${st.url ? ` at ${st.url}` : ''}${health}`;
}

/** status, start or stop. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const verb = ctx.commandLine.split(/\s+/)[2];
  if (verb !== 'status' && verb !== 'start' && verb !== 'stop') throw new UsageError('Use rollout service status|start|stop --env ENV.');
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const engine = loadEngineContext(ctx.workspace, env, { operator: operatorName() });
  if (engine.target.target.kind === 'ansible') {
    if (verb !== 'status') throw new UsageError(`${engine.env} is a fleet: start and stop its hosts with ansible (the playbooks in the runbook); rollout service status --env ${engine.env} reads them.`);
    return (await import('../fleet.js')).fleetStatus(ctx, engine);
  }
  const target = makeTarget(engine);

  const pending = interruptedDeploy(engine.ws.root, engine.env);
  const say = (l: string): void => ctx.say(`  ${l}`);
  if (verb === 'start') await withEnvLock(engine.ws.locksDir, engine.env, { operator: engine.operator, command: ctx.commandLine }, () => target.start(say));
  if (verb === 'stop') await withEnvLock(engine.ws.locksDir, engine.env, { operator: engine.operator, command: ctx.commandLine }, () => target.stop(say));
  const st = await target.status();
  const notice = pending ? describeInterruptedDeploy(pending, { ...(st.deployedVersion ? { deployed: st.deployedVersion } : {}), ...(st.running && st.version ? { running: st.version } : {}) }) : undefined;

  ctx.say(statusLine(engine.env, st));
  if (st.note) ctx.say(`  note: ${st.note}`);
  if (notice) {
    ctx.say(`Notice: ${notice.message}`);
    for (const s of notice.nextSteps) ctx.say(`  next: ${s}`);
  }
  ctx.result({ ok: true, action: verb, ...statusJson(engine.env, st), interrupted_deploy: notice ?? null });
  return 0;
}
