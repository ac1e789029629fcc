// The deploy issue's engines in the runbook runner's shape (RunnerEngines in runner-engines.ts):
// deploy, migrate, smoke, and the version lists, so runner-wiring.ts can plug them in as they are.
import { AuditLog } from '../audit/logger.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { join } from 'node:path';
import { deploy } from './deploy.js';
import type { EngineContext } from '../config/engine-context.js';
import type { EngineOutcome, StepIO } from './runner-engines.js';
import { makeTarget } from '../targets/make-target.js';
import { runMigrations } from '../steps/migrate.js';
import { runSmoke, type SmokePhase, type SmokeTier } from '../steps/smoke.js';

/** Versions that can be deployed to the environment. */
export function availableVersionsEngine(ctx: EngineContext): Promise<string[]> {
  return makeTarget(ctx).availableVersions();
}

/** The version deployed now, if any. */
export function currentVersionEngine(ctx: EngineContext): Promise<string | undefined> {
  return makeTarget(ctx).currentVersion();
}

/** The runbook's deploy step: migrations are the runbook's own step, so they are not repeated here. */
export async function deployEngine(ctx: EngineContext, o: { version: string; dryRun: boolean } & StepIO): Promise<EngineOutcome> {
  const r = await deploy(ctx, {
    version: o.version,
    dryRun: o.dryRun,
    // The runner has taken the operator's confirmation (sign-off, typed name or --yes) already.
    confirmed: true,
    migrate: false,
    onLine: o.onLine,
    onSubstep: o.onSubstep,
    signal: o.signal,
    onEvent: (e) => {
      if (e.type === 'health') o.onLine(`health ${e.check.ok ? 'OK' : 'not OK'} (${e.streak}/${e.needed}) ${e.check.detail}`);
      if (e.type === 'notice') o.onLine(`notice: ${e.message}`);
    },
  });
  return {
    summary: r.dryRun ? `planned the deploy of ${r.version} (dry run; plan in deploy-dryrun.log)` : `deployed ${r.version}${r.from ? ` (was ${r.from})` : ''}, healthy after ${((r.healthyAfterMs ?? 0) / 1000).toFixed(1)} s`,
    version: r.version,
    logPath: r.logPath,
    ...(r.smoke ? { smoke: r.smoke.results } : {}),
  };
}

/** The runbook's migrate step; a dry run also writes migrate-dryrun.log. */
export async function migrateEngine(ctx: EngineContext, o: { direction: 'forward' | 'backward'; dryRun: boolean } & StepIO): Promise<EngineOutcome> {
  const log = AuditLog.open(ctx.ws.logsDir, 'migrate', ctx.env, { now: () => ctx.clock.now() });
  try {
    const r = await runMigrations(ctx, { direction: o.direction, dryRun: o.dryRun, log, onLine: o.onLine });
    if (o.dryRun) writeFileAtomic(join(ctx.ws.root, 'migrate-dryrun.log'), `Migrate plan for ${ctx.env} (${o.direction}, dry run: nothing was changed)\n${r.plan.join('\n')}\n`);
    const verb = o.direction === 'forward' ? 'applied' : 'undid';
    return { summary: r.ran.length ? `${o.dryRun ? 'would have ' : ''}${verb} ${r.ran.join(', ')}` : r.plan[0] ?? 'nothing to do', logPath: log.path };
  } finally {
    log.close();
  }
}

/** The runbook's smoke step; failed checks are a failed outcome (not an exception). */
export async function smokeEngine(ctx: EngineContext, o: { tier: SmokeTier; phase: SmokePhase; dryRun: boolean } & StepIO): Promise<EngineOutcome> {
  const log = AuditLog.open(ctx.ws.logsDir, 'smoke_test', ctx.env, { now: () => ctx.clock.now() });
  try {
    const r = await runSmoke(ctx, { tier: o.tier, phase: o.phase, log, onResult: (x) => o.onLine(`${x.ok ? 'PASS' : 'FAIL'} ${x.id}: ${x.detail}`) });
    const failed = r.results.filter((x) => !x.ok);
    return { summary: failed.length ? `${failed.length} of ${r.results.length} smoke tests failed: ${failed.map((x) => x.id).join(', ')}` : `${r.results.length} smoke tests passed`, smoke: r.results, logPath: log.path, ...(failed.length ? { failed: true } : {}) };
  } finally {
    log.close();
  }
}
