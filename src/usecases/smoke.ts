// The smoke use case: the one way in for `rollout smoke` (a deploy, a rollback and a walk run the
// same checks through runSmoke). It owns the run's log and the --output copy; faces only present.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import type { EngineContext } from '../config/engine-context.js';
import { runSmoke, selectChecks, type SmokePhase, type SmokeRun, type SmokeTier } from '../steps/smoke.js';

export { smokeTable, type SmokePhase, type SmokeResult, type SmokeRun, type SmokeTier } from '../steps/smoke.js';

/** The checks a run for this tier and phase would make, from the same selection run() uses. */
export function planSmoke(ctx: EngineContext, o: { tier: SmokeTier; phase: SmokePhase }): { id: string; tier: 'critical' | 'standard'; kind: string }[] {
  return selectChecks(ctx.target.smoke, o.tier, o.phase).map((c) => ({ id: c.id, tier: c.tier, kind: c.kind }));
}

/** Run the checks with logs/smoke_test_<env>_<ts>.log; with `output`, append the same events to that file. */
export async function smoke(ctx: EngineContext, o: { tier: SmokeTier; phase: SmokePhase; output?: string }): Promise<SmokeRun & { logPath: string }> {
  const log = AuditLog.open(ctx.ws.logsDir, 'smoke_test', ctx.env);
  // This run's own lines, as the log writes them: two runs started in the same second share the
  // log's file (its name has the second), and a copy of that file carried the other run's events.
  const mine: string[] = [];
  const unsubscribe = log.subscribe((e) => mine.push(`${JSON.stringify(e)}\n`));
  let r: SmokeRun;
  try {
    r = await runSmoke(ctx, { tier: o.tier, phase: o.phase, log });
  } finally {
    unsubscribe();
    log.close();
  }
  if (o.output !== undefined) {
    // The same JSON Lines events, appended: one file can collect many runs (a manual monitoring loop).
    const out = resolve(o.output);
    mkdirSync(dirname(out), { recursive: true });
    appendFileSync(out, mine.join(''));
  }
  return { ...r, logPath: log.path };
}
