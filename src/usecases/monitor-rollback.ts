// The monitor's bridge to the rollback engine (src/usecases/rollback.ts): an auto-rollback is the
// configured action of a gate, so it runs confirmed (force), under the environment lock (taken
// re-entrantly when a deploy in this same process already holds it). The engine verifies the
// backup, restores, reads the running version back from the target, waits for the health checks,
// re-runs the smoke tests and opens the incident. A resumed monitor finishes an interrupted one
// here too: with the incident it may already have opened, and what ran before it began.
import type { AuditLog } from '../audit/logger.js';
import type { Notifier } from '../notify/types.js';
import { makeTarget } from '../targets/make-target.js';
import type { EngineContext } from '../config/engine-context.js';
import { incidentWithLog } from './incident.js';
import type { RollbackRunner } from './monitor.js';
import { rollback } from './rollback.js';

/** The rollback runner for an environment, or one sentence saying why there is none. */
export function monitorRollbackRunner(ctx: EngineContext, o: { log: AuditLog; notifier?: Notifier }): RollbackRunner | string {
  return async (req) => {
    if (!req.resume) {
      // What runs before anything changes, journaled so that a resumed monitor can tell the
      // instance the interrupted rollback replaced from the one it brought back.
      const before = await makeTarget(ctx).running().catch(() => undefined);
      o.log.write('info', 'rollback-before', before ? { version: before.version, pid: before.pid, started_at: before.startedAt, revision: before.revision, identity: before.identity } : { version: null });
    }
    const existing = req.resume ? incidentWithLog(ctx.ws, ctx.env, o.log.path) : undefined;
    if (req.resume) o.log.write('info', 'rollback-resume', { incident: existing?.id ?? null, before: req.resume.before ?? null, start_notified: req.resume.startNotified });
    const out = await rollback(ctx, {
      force: true,
      dryRun: false,
      // A manual request restores exactly the backup the operator saw and confirmed.
      ...(req.backup ? { backup: req.backup } : {}),
      ...(req.reason ? { reason: { gate: req.reason.gate, value: Number.isFinite(req.reason.value) ? req.reason.value : null, threshold: req.reason.threshold, unit: req.reason.unit, ...(req.reason.windowMinutes !== undefined ? { windowMinutes: req.reason.windowMinutes } : {}) } } : {}),
      onStage: (s) => req.onStage(s.name, `${s.status}: ${s.detail}`),
      ...(o.notifier ? { notifier: o.notifier } : {}),
      command: `rollout monitor --env ${ctx.env} (${req.resume ? 'resumed ' : ''}${req.trigger === 'auto' ? 'auto-rollback' : 'manual rollback'})`,
      // The monitor rolls back once per window and only for a reason: never a no-op "rolled back".
      again: true,
      // The incident keeps the monitor's journal: the samples and the decision that led here.
      relatedLogs: [o.log.path],
      detectedAt: ctx.clock.now(),
      ...(req.resume ? { resume: { ...(existing ? { incidentId: existing.id } : {}), ...(req.resume.before ? { before: req.resume.before } : {}), startNotified: req.resume.startNotified } } : {}),
    });
    o.log.write(out.ok ? 'info' : 'error', 'rollback-engine', { ok: out.ok, exit_code: out.exitCode, backup: out.backup, version: out.version, running_version: out.runningVersion, previous_version: out.previousVersion, incident: out.incidentId, log: out.logFile, error: out.error, resumed: Boolean(req.resume) });
    const skipped = out.stages.filter((s) => s.status === 'skipped' && ['archive', 'restore', 'restart'].includes(s.name)).length === 3;
    return {
      ok: out.ok,
      detail: out.ok
        ? `${skipped ? 'the interrupted run had restored' : 'restored'} ${out.backup ?? 'the backup'}${out.version ? ` (version ${out.version})` : ''}; the target runs ${out.runningVersion ?? 'unknown'}`
        : (out.error ?? 'the rollback failed'),
      ...(out.incidentId ? { incidentId: out.incidentId } : {}),
      ...(out.backup ? { backup: out.backup } : {}),
      // The engine is ok only when the running version, the health checks and the smoke tests passed.
      ...(out.ok ? { verified: { healthOk: true, smokeOk: out.smoke ? out.smoke.ok : true, detail: `${out.runningVersion ?? '?'} runs, ${out.healthChecks.length} health checks, ${out.smoke ? `${out.smoke.results.length} smoke checks` : 'no smoke checks'} passed (rollback engine)` } } : {}),
    };
  };
}
