// The monitor's bridge to the rollback engine (src/services/rollback.ts): an auto-rollback is the
// configured action of a gate, so it runs confirmed (force), under the environment lock (taken
// re-entrantly when a deploy in this same process already holds it). The engine verifies the
// backup, restores, waits for the health checks, re-runs the smoke tests and opens the incident.
import type { AuditLog } from '../audit/logger.js';
import type { Notifier } from '../notify/types.js';
import type { EngineContext } from './engine-context.js';
import type { RollbackRunner } from './monitor.js';
import { rollback } from './rollback.js';

/** The rollback runner for an environment, or one sentence saying why there is none. */
export function monitorRollbackRunner(ctx: EngineContext, o: { log: AuditLog; notifier?: Notifier }): RollbackRunner | string {
  return async (req) => {
    const out = await rollback(ctx, {
      force: true,
      dryRun: false,
      // A manual request restores exactly the backup the operator saw and confirmed.
      ...(req.backup ? { backup: req.backup } : {}),
      ...(req.reason ? { reason: { gate: req.reason.gate, value: Number.isFinite(req.reason.value) ? req.reason.value : null, threshold: req.reason.threshold, unit: req.reason.unit } } : {}),
      onStage: (s) => req.onStage(s.name, `${s.status}: ${s.detail}`),
      ...(o.notifier ? { notifier: o.notifier } : {}),
      command: `rollout monitor --env ${ctx.env} (${req.trigger === 'auto' ? 'auto-rollback' : 'manual rollback'})`,
      // The incident keeps the monitor's journal: the samples and the decision that led here.
      relatedLogs: [o.log.path],
      detectedAt: ctx.clock.now(),
    });
    o.log.write(out.ok ? 'info' : 'error', 'rollback-engine', { ok: out.ok, exit_code: out.exitCode, backup: out.backup, version: out.version, previous_version: out.previousVersion, incident: out.incidentId, log: out.logFile, error: out.error });
    return {
      ok: out.ok,
      detail: out.ok ? `restored ${out.backup ?? 'the backup'}${out.version ? ` (version ${out.version})` : ''}` : (out.error ?? 'the rollback failed'),
      ...(out.incidentId ? { incidentId: out.incidentId } : {}),
      ...(out.backup ? { backup: out.backup } : {}),
      // The engine throws before "ok" unless the health checks and smoke tests passed.
      ...(out.ok ? { verified: { healthOk: true, smokeOk: out.smoke ? out.smoke.ok : true, detail: `${out.healthChecks.length} health checks, ${out.smoke ? `${out.smoke.results.length} smoke checks` : 'no smoke checks'} passed (rollback engine)` } } : {}),
    };
  };
}
