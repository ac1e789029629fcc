// The monitor's bridge to the rollback engine (src/services/rollback.ts, the backups issue).
// Until that engine lands, auto-rollback is unavailable and the monitor says so: breaches of
// auto-rollback gates alert and end the run with exit 1, telling the operator to roll back.
import type { AuditLog } from '../audit/logger.js';
import type { Notifier } from '../notify/types.js';
import type { EngineContext } from './engine-context.js';
import type { RollbackRunner } from './monitor.js';

/** The rollback runner for an environment, or one sentence saying why there is none. */
export function monitorRollbackRunner(_ctx: EngineContext, _o: { log: AuditLog; notifier?: Notifier }): RollbackRunner | string {
  return 'the rollback engine has not landed in this build';
}
