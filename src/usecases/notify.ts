// The notify use case: `rollout notify` sends one notification through every configured channel of
// the environment (or, as a dry run, writes each payload to the fallback folder), with its own log.
import { AuditLog } from '../audit/logger.js';
import { environmentGates, loadGatesConfig } from '../config/gates.js';
import type { Workspace } from '../config/workspace.js';
import { createNotifier, type NotificationType } from '../notify/index.js';

export { NOTIFICATION_TYPES, severityOf, summarizeDelivery, type NotificationType } from '../notify/index.js';

/** Send (or rehearse) one notification; returns the delivery report and the log written. */
export async function notify(ws: Workspace, o: { type: NotificationType; env: string; message: string; operator: string; dryRun: boolean }) {
  const config = loadGatesConfig(ws.configPath, 'quality-gates-config.json');
  const gates = environmentGates(config, o.env);
  const log = AuditLog.open(ws.logsDir, 'notify', o.env);
  try {
    const notifier = createNotifier({ ws, env: o.env, settings: gates.notifications, log, dryRun: o.dryRun });
    const report = await notifier.send({ type: o.type, env: o.env, message: o.message, operator: o.operator });
    return { report, logPath: log.path };
  } finally {
    log.close();
  }
}
