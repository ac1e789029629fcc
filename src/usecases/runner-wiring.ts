// The real engines behind RunnerEngines: each method is one call into the engine's own module
// (the same functions the headless subcommands use), mapped to the runner's shapes. Nothing is
// decided here that the engines decide themselves.
import { join } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import { StepFailedError } from '../domain/errors.js';
import { createNotifier, NOTIFICATION_TYPES, summarizeDelivery, type NotificationType } from '../notify/index.js';
import type { EngineContext } from '../config/engine-context.js';
import type { EngineOutcome, LiveSession, RunnerEngines, StepIO } from './runner-engines.js';
import { listBackups, resolveBackupArg } from '../backup/names.js';
import { newestBackup } from './runner-checklist.js';

export { newestBackup };
import { createBackup } from './backup.js';
import { verifyBackup } from '../backup/verify.js';
import { contextScope } from '../backup/scope.js';
import { deploy } from './deploy.js';
import { rollback, type RollbackStage } from './rollback.js';
import { runMonitorAfterDeploy, walkWindow } from './monitor-wiring.js';
import { interruptedDeploy } from '../steps/deploy-journal.js';
import { migrate } from './migrate.js';
import { runSmoke } from '../steps/smoke.js';
import { makeTarget } from '../targets/make-target.js';

/** Send one notification through the notification engine. */
export async function sendNotification(ctx: EngineContext, o: { type: string; message: string; dryRun: boolean }): Promise<EngineOutcome> {
  if (!(NOTIFICATION_TYPES as readonly string[]).includes(o.type)) throw new StepFailedError(`Unknown notification type "${o.type}".`);
  const log = AuditLog.open(ctx.ws.logsDir, 'notify', ctx.env, { now: () => ctx.clock.now() });
  try {
    const notifier = createNotifier({ ws: ctx.ws, env: ctx.env, settings: ctx.gates.notifications, log, dryRun: o.dryRun, clock: ctx.clock });
    const r = await notifier.send({ type: o.type as NotificationType, env: ctx.env, message: o.message, operator: ctx.operator });
    return { summary: `${o.type}: ${summarizeDelivery(r).line}`, failed: !r.ok };
  } finally {
    log.close();
  }
}

function mb(n: number): string {
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

/** Take a backup through the backup engine (the same call as `rollout backup`). */
export async function takeBackup(ctx: EngineContext, o: { dryRun: boolean } & StepIO): Promise<EngineOutcome> {
  const r = await createBackup(ctx, { dryRun: o.dryRun, command: `rollout run --env ${ctx.env}`, onProgress: (p) => o.onProgress({ done: p.bytesDone, total: p.bytesTotal, ...(p.file ? { label: p.file } : {}) }) });
  if (r.dryRun) return { summary: `dry-run: would archive ${r.files} files (${mb(r.bytes)}) into ${r.file}${r.dryRunLog ? `; plan in ${r.dryRunLog}` : ''}` };
  return { summary: `${r.file} (${mb(r.archiveBytes ?? 0)}, ${r.files} files) with its .sha256`, backup: { path: r.file, sha256: r.sha256 ?? '', bytes: r.archiveBytes ?? 0, verified: false } };
}

/** Verify a backup through the backup engine (the same call as `rollout verify`). */
export async function checkBackup(ctx: EngineContext, o: { path?: string } & StepIO): Promise<EngineOutcome> {
  const abs = o.path ? resolveBackupArg(ctx.ws, o.path, ctx.ws.root) : undefined;
  const target = abs ?? (listBackups(ctx.ws.backupsDir, ctx.env)[0] ? join(ctx.ws.backupsDir, listBackups(ctx.ws.backupsDir, ctx.env)[0]!) : undefined);
  if (!target) throw new StepFailedError(`No backup of ${ctx.env} to verify.`, [`Take one: rollout backup --env ${ctx.env}`]);
  const r = await verifyBackup(target, { ws: ctx.ws, expectEnv: ctx.env, scope: contextScope(ctx), onProgress: (p) => o.onProgress({ done: p.bytesDone, total: p.bytesTotal }) });
  return { summary: `${r.file} verifies: .sha256, zip structure and ${r.entries} manifest entries`, backup: { path: r.file, sha256: r.sha256, bytes: r.archiveBytes, verified: true, detail: `sha256 matches, ${r.entries} entries checked` } };
}

/** Run migrations through the migration engine (the same call as `rollout migrate`). */
export async function migrateStep(ctx: EngineContext, o: { direction: 'forward' | 'backward'; dryRun: boolean } & StepIO): Promise<EngineOutcome> {
  o.onSubstep(`${o.direction} migrations`, 'running');
  const r = await migrate(ctx, { direction: o.direction, dryRun: o.dryRun, command: `rollout run --env ${ctx.env}`, onLine: o.onLine });
  const what = r.ran.length ? `${r.ran.length} migration${r.ran.length === 1 ? '' : 's'} ${o.dryRun ? 'would run' : o.direction === 'forward' ? 'applied' : 'undone'}: ${r.ran.join(', ')}` : 'nothing to migrate';
  o.onSubstep(`${o.direction} migrations`, 'ok', what);
  return { summary: what };
}

/** Deploy through the deploy engine; the runbook's own migrate step runs the migrations. */
export async function deployStep(ctx: EngineContext, o: { version: string; dryRun: boolean; resume?: boolean } & StepIO): Promise<EngineOutcome> {
  const ownMigrate = ctx.runbook.steps.some((s) => s.type === 'migrate');
  // The walk stopped in this step: the deploy it began is finished from its journal (the same path as rollout deploy --resume).
  const resume = o.resume === true && interruptedDeploy(ctx.ws.root, ctx.env)?.to_version === o.version;
  const r = await deploy(ctx, { version: o.version, dryRun: o.dryRun, confirmed: true, migrate: !ownMigrate, ...(resume ? { resume: true } : {}), onLine: o.onLine, onSubstep: o.onSubstep, signal: o.signal, command: `rollout run --env ${ctx.env} --version ${o.version}${resume ? ' --resume' : ''}` });
  if (r.resumed) o.onLine(`resumed: ${r.resumed}`);
  if (!r.ok) return { summary: r.interrupted?.message ?? `the deploy of ${o.version} did not finish`, failed: true };
  return { summary: o.dryRun ? `dry-run: planned the deploy of ${o.version}${r.from ? ` over ${r.from}` : ''}` : `${o.version} deployed${r.from ? ` (was ${r.from})` : ''}${r.healthyAfterMs !== undefined ? `, healthy after ${(r.healthyAfterMs / 1000).toFixed(1)} s` : ''}`, version: o.version };
}

/** Smoke tests through the smoke engine; in a dry-run their failures are shown, not fatal. */
export async function smokeStep(ctx: EngineContext, o: { tier: 'critical' | 'standard' | 'all'; phase: 'pre-deploy' | 'post-deploy' | 'post-rollback'; dryRun: boolean } & StepIO): Promise<EngineOutcome> {
  o.onSubstep(`${o.phase} smoke tests (${o.tier})`, 'running');
  const r = await runSmoke(ctx, { tier: o.tier, phase: o.phase, onResult: (x) => o.onLine(`${x.ok ? 'PASS' : 'FAIL'} ${x.id}: ${x.detail}`) });
  const rows = r.results.map((x) => ({ id: x.id, tier: x.tier, ok: x.ok, detail: x.detail, ms: x.ms }));
  const passed = rows.filter((x) => x.ok).length;
  o.onSubstep(`${o.phase} smoke tests (${o.tier})`, r.ok ? 'ok' : o.dryRun ? 'skipped' : 'failed', `${passed}/${rows.length} passed`);
  const smoke = o.dryRun ? rows.map((x) => ({ ...x, ok: true, detail: x.ok ? x.detail : `dry-run, against what runs now: ${x.detail}` })) : rows;
  return { summary: `${passed}/${rows.length} checks passed${o.dryRun && !r.ok ? ' (dry-run: failures not counted)' : ''}`, smoke };
}

/** The T+60 monitor after a deploy; a dry-run only describes it (training mode has its own simulated monitor). */
export async function monitorStep(ctx: EngineContext, o: { dryRun: boolean; version?: string; resumeSince?: number; onSession: (s: LiveSession) => void } & StepIO): Promise<EngineOutcome> {
  const m = ctx.gates.monitoring;
  if (o.dryRun) return { summary: `dry-run: a live walk watches ${ctx.gates.gates.filter((g) => g.enabled).length} gates for ${m.durationMinutes} minutes` };
  // The walk stopped in this step: its window is resumed the way `rollout monitor --resume` does
  // (an auto-rollback started but not verified is finished), or its finished summary stands.
  const earlier = o.resumeSince !== undefined ? walkWindow(ctx, o.resumeSince) : undefined;
  if (earlier?.kind === 'finished') {
    o.onLine(`the monitor window this walk began had already ended: ${earlier.summary.message}`);
    return { summary: earlier.summary.message, failed: earlier.summary.exitCode !== 0, ...(earlier.summary.rollback?.incidentId ? { incidentId: earlier.summary.rollback.incidentId } : {}), logPath: earlier.summary.logPath };
  }
  if (earlier) o.onLine(`resuming the monitor window this walk began (${earlier.shown})`);
  const s = await runMonitorAfterDeploy(ctx, { ...(o.version ? { version: o.version } : {}), ...(earlier ? { resume: true } : { deployedAt: ctx.clock.now() }), signal: o.signal, onMonitor: (monitor) => o.onSession({ kind: 'monitor', handle: monitor }) });
  return { summary: s.message, failed: s.exitCode !== 0, ...(s.rollback?.incidentId ? { incidentId: s.rollback.incidentId } : {}), logPath: s.logPath };
}

/** A rollback step of a runbook (the emergency runbook), through the rollback engine. */
export async function rollbackStep(ctx: EngineContext, o: { dryRun: boolean; reason: string; backup?: string; onSession: (s: LiveSession) => void } & StepIO): Promise<EngineOutcome> {
  const onStage = (st: RollbackStage): void => o.onSubstep(st.name, st.status === 'planned' ? 'skipped' : st.status, st.detail);
  const r = await rollback(ctx, { force: true, dryRun: o.dryRun, ...(o.backup ? { backup: o.backup } : {}), onStage, command: `rollout run --env ${ctx.env}` });
  for (const h of r.healthChecks) o.onLine(`health: ${h.ok ? 'OK' : 'not OK'} (${h.detail})`);
  const smoke = r.smoke?.results.map((x) => ({ id: x.id, tier: x.tier, ok: x.ok, detail: x.detail, ms: x.ms }));
  return {
    summary: r.noop ? (r.message ?? 'nothing to do') : r.ok ? `${r.dryRun ? 'dry-run: would restore' : 'restored'} ${r.backup ?? 'the newest verified backup'}${r.version ? ` (${r.version})` : ''}${r.runningVersion ? `; the target runs ${r.runningVersion}` : ''}${r.incidentId ? `; incident ${r.incidentId}` : ''}` : (r.error ?? 'the rollback failed'),
    failed: !r.ok,
    ...(smoke ? { smoke } : {}),
    ...(r.incidentId ? { incidentId: r.incidentId } : {}),
  };
}

/**
 * Training mode: the walk's monitor step runs a drill (src/usecases/train.ts) instead: the real
 * monitor and gates fed by a scenario timeline on a faster clock, nothing changed, then a debrief.
 */
export function withTrainingMonitor(engines: RunnerEngines, o: { scenario?: string; speed: number }): RunnerEngines {
  return {
    ...engines,
    monitor: async (ctx, io) => {
      const { TrainingSession } = await import('./train.js');
      const { defaultScenario } = await import('./train-scenario.js');
      const scenario = o.scenario ?? defaultScenario(ctx.ws.root);
      const session = new TrainingSession(ctx, { scenario, speed: o.speed });
      const base = `drill: ${session.scenario.title} (×${o.speed})`;
      io.onSession({
        kind: 'monitor',
        handle: {
          subscribe: (fn: Parameters<typeof session.monitor.subscribe>[0]) => session.monitor.subscribe(fn),
          requestRollback: async () => session.requestRollback(),
          extend: (m: number) => session.extend(m),
          stop: () => session.stop(),
          now: () => session.clock.now(),
          // A getter: once the decision point is reached the title asks the question.
          get title(): string {
            const q = session.openDecision;
            return q ? `${base} — DECIDE: ${q} (r roll back, or wait)` : base;
          },
        },
      });
      const onAbort = (): void => session.stop();
      io.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const d = await session.run();
        return { summary: `training drill "${d.title}" done — SCORE ${d.score.points}/${d.score.of}${d.expectation ? `; ${d.expectation.text}` : ''}`, report: d.lines.filter((l) => l.trim()) };
      } finally {
        io.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** The engines as they are wired today. */
export function realEngines(): RunnerEngines {
  return {
    availableVersions: (ctx) => makeTarget(ctx).availableVersions(),
    currentVersion: (ctx) => makeTarget(ctx).currentVersion(),
    latestBackup: (ctx) => newestBackup(ctx),
    createBackup: takeBackup,
    verifyBackup: checkBackup,
    migrate: migrateStep,
    deploy: deployStep,
    smoke: smokeStep,
    monitor: monitorStep,
    rollback: rollbackStep,
    notify: (ctx, o) => sendNotification(ctx, o),
  };
}
