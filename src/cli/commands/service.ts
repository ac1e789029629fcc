// rollout service status|start|stop --env E: the environment's running service (the embedded
// one, or the command target's own status/start/stop). start and stop take the environment lock.
import { UsageError } from '../../domain/errors.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { serviceAction, type ServiceStatus } from '../../usecases/service.js';
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
  const engine = await loadEngineContextCached(ctx.workspace, env, { operator: operatorName() });
  if (engine.target.target.kind === 'ansible') {
    if (verb !== 'status') throw new UsageError(`${engine.env} is a fleet: start and stop its hosts with ansible (the playbooks in the runbook); rollout service status --env ${engine.env} reads them.`);
    return (await import('../fleet.js')).fleetStatus(ctx, engine);
  }
  const { status: st, notice } = await serviceAction(engine, verb, { command: ctx.commandLine, say: (l) => ctx.say(`  ${l}`) });

  ctx.say(statusLine(engine.env, st));
  if (st.note) ctx.say(`  note: ${st.note}`);
  if (notice) {
    ctx.say(`Notice: ${notice.message}`);
    for (const s of notice.nextSteps) ctx.say(`  next: ${s}`);
  }
  ctx.result({ ok: true, action: verb, ...statusJson(engine.env, st), interrupted_deploy: notice ?? null });
  return 0;
}
