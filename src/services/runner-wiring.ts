// The real engines behind RunnerEngines: each method is one call into the engine's own module
// (the same functions the headless subcommands use), mapped to the runner's shapes. Nothing is
// decided here that the engines decide themselves.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import { StepFailedError } from '../domain/errors.js';
import { createNotifier, NOTIFICATION_TYPES, type NotificationType } from '../notify/index.js';
import type { EngineContext } from './engine-context.js';
import type { BackupInfo, EngineOutcome, RunnerEngines } from './runner-engines.js';
import { listBackups } from '../backup/names.js';

function notLanded(what: string): never {
  throw new StepFailedError(`${what} is not available in this version yet.`);
}

/** The newest backup of the environment by name (not verified here). */
export function newestBackup(ctx: EngineContext): BackupInfo | undefined {
  const name = listBackups(ctx.ws.backupsDir, ctx.env)[0];
  if (!name) return undefined;
  let bytes = 0;
  try {
    bytes = statSync(join(ctx.ws.backupsDir, name)).size;
  } catch {
    return undefined;
  }
  return { path: `backups/${name}`, sha256: '', bytes, verified: false };
}

/** Send one notification through the notification engine. */
export async function sendNotification(ctx: EngineContext, o: { type: string; message: string; dryRun: boolean }): Promise<EngineOutcome> {
  if (!(NOTIFICATION_TYPES as readonly string[]).includes(o.type)) throw new StepFailedError(`Unknown notification type "${o.type}".`);
  const log = AuditLog.open(ctx.ws.logsDir, 'notify', ctx.env, { now: () => ctx.clock.now() });
  try {
    const notifier = createNotifier({ ws: ctx.ws, env: ctx.env, settings: ctx.gates.notifications, log, dryRun: o.dryRun, clock: ctx.clock });
    const r = await notifier.send({ type: o.type as NotificationType, env: ctx.env, message: o.message, operator: ctx.operator });
    const delivered = r.outcomes.filter((x) => x.status === 'delivered' || x.status === 'dry-run').map((x) => x.channel);
    return { summary: `${o.type}: ${delivered.length ? delivered.join(', ') : 'no channel'}${r.fallbackFile ? `; fallback ${r.fallbackFile}` : ''}`, failed: !r.ok };
  } finally {
    log.close();
  }
}

/** The engines as they are wired today. */
export function realEngines(): RunnerEngines {
  return {
    availableVersions: async () => notLanded('Listing releases'),
    currentVersion: async () => undefined,
    latestBackup: (ctx) => newestBackup(ctx),
    createBackup: async () => notLanded('The backup engine'),
    verifyBackup: async () => notLanded('Backup verification'),
    migrate: async () => notLanded('The migration engine'),
    deploy: async () => notLanded('The deploy engine'),
    smoke: async () => notLanded('The smoke tests'),
    monitor: async () => notLanded('The T+60 monitor'),
    rollback: async () => notLanded('The rollback engine'),
    notify: (ctx, o) => sendNotification(ctx, o),
  };
}
