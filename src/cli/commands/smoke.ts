// rollout smoke: the runbook's smoke checks for a tier and phase, a result table, a log; exit 1 on
// any failure. --dry-run lists the checks without running them; --output FILE appends the run's
// log events to FILE too (the seeds' `smoke_tests.sh --output logs/manual_monitoring.log`).
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { planSmoke, smoke, smokeTable, type SmokePhase, type SmokeTier } from '../../usecases/smoke.js';
import { operatorName, type CommandContext } from '../context.js';
import { displayPath } from '../paths.js';

/** Run the checks; exit 0 when all pass, 1 otherwise. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const engine = await loadEngineContextCached(ctx.workspace, env, { operator: operatorName() });
  const tier = (typeof opts.tier === 'string' ? opts.tier : 'all') as SmokeTier;
  const phase = (typeof opts.phase === 'string' ? opts.phase : 'post-deploy') as SmokePhase;
  if (opts.dryRun === true) {
    const checks = planSmoke(engine, { tier, phase });
    ctx.say(`Smoke tests for ${engine.env} (tier ${tier}, phase ${phase}), dry run: ${checks.length} check(s) would run, none was run.`);
    for (const c of checks) ctx.say(`  ${c.id.padEnd(20)} ${c.tier.padEnd(8)} ${c.kind}`);
    ctx.result({ ok: true, env: engine.env, tier, phase, dry_run: true, checks });
    return 0;
  }
  const r = await smoke(engine, { tier, phase, ...(typeof opts.output === 'string' ? { output: opts.output } : {}) });
  const failed = r.results.filter((x) => !x.ok);
  ctx.say(`Smoke tests for ${engine.env} (tier ${tier}, phase ${phase}):`);
  if (r.results.length === 0) ctx.say('  no checks in the runbook for this tier and phase');
  for (const l of smokeTable(r.results)) ctx.say(`  ${l}`);
  ctx.say(`${r.results.length - failed.length} passed, ${failed.length} failed. Log: ${displayPath(r.logPath)}`);
  ctx.result({ ok: r.ok, env: engine.env, tier, phase, results: r.results, passed: r.results.length - failed.length, failed: failed.length, log: r.logPath });
  return r.ok ? outcomeOfCode(0) : outcomeOfCode(1, `${failed.length} of ${r.results.length} smoke tests failed in ${engine.env}: ${failed.map((x) => x.id).join(', ')}.`);
}
