// rollout smoke: the runbook's smoke checks for a tier and phase, a result table, a log; exit 1 on
// any failure.
import { AuditLog } from '../../audit/logger.js';
import { loadEngineContext } from '../../services/engine-context.js';
import { runSmoke, smokeTable, type SmokePhase, type SmokeTier } from '../../steps/smoke.js';
import { operatorName, type CommandContext } from '../context.js';
import { displayPath } from '../paths.js';

/** Run the checks; exit 0 when all pass, 1 otherwise. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const engine = loadEngineContext(ctx.workspace, env, { operator: operatorName() });
  const tier = (typeof opts.tier === 'string' ? opts.tier : 'all') as SmokeTier;
  const phase = (typeof opts.phase === 'string' ? opts.phase : 'post-deploy') as SmokePhase;
  const log = AuditLog.open(engine.ws.logsDir, 'smoke_test', engine.env);
  let r;
  try {
    r = await runSmoke(engine, { tier, phase, log });
  } finally {
    log.close();
  }
  const failed = r.results.filter((x) => !x.ok);
  ctx.say(`Smoke tests for ${engine.env} (tier ${tier}, phase ${phase}):`);
  if (r.results.length === 0) ctx.say('  no checks in the runbook for this tier and phase');
  for (const l of smokeTable(r.results)) ctx.say(`  ${l}`);
  ctx.say(`${r.results.length - failed.length} passed, ${failed.length} failed. Log: ${displayPath(log.path)}`);
  ctx.result({ ok: r.ok, env: engine.env, tier, phase, results: r.results, passed: r.results.length - failed.length, failed: failed.length, log: log.path });
  if (!r.ok) process.stderr.write(`rollout: ${failed.length} of ${r.results.length} smoke tests failed in ${engine.env}: ${failed.map((x) => x.id).join(', ')}.\n`);
  return r.ok ? 0 : 1;
}
