// What a rollback confirmation offers: the version that runs now (read from the target) and the
// verified backups it could restore, newest first, each with its version, age and size. The TUI's
// monitor screen and the on-call screen both show this before anything changes.
import { join } from 'node:path';
import { limitsFor } from '../backup/limits.js';
import { listBackups, resolveBackupArg, wsRelative } from '../backup/names.js';
import { verifyBackup, type VerifyResult } from '../backup/verify.js';
import { RefusedError, UsageError } from '../domain/errors.js';
import type { EngineContext } from '../config/engine-context.js';
import { makeTarget } from '../targets/make-target.js';

/** One verified backup a rollback could restore. */
export interface BackupChoice {
  /** Workspace-relative file, exactly what rollback() is given. */
  file: string;
  version: string | null;
  /** When it was taken (ms since the epoch, from its manifest). */
  takenAt: number;
  bytes: number;
  /** One line: what the verification checked. */
  detail: string;
}

/** The confirmation's content. */
export interface RollbackOffer {
  /** The version the target runs now, when it can tell. */
  running?: string;
  /** Verified backups, newest first; the first is the default. */
  choices: BackupChoice[];
  /** Newer backups that failed verification (never offered). */
  skipped: { file: string; reason: string }[];
}

/** At most this many backups are verified for the list (each is hashed in full). */
export const MAX_CHOICES = 8;

/**
 * The version that runs on the environment now, as the target reports it. One function, so that
 * when targets report a `current_version` of their own only this changes.
 */
export async function runningVersion(ctx: EngineContext): Promise<string | undefined> {
  const t = makeTarget(ctx);
  // The target's own answer first (the service's /version, the current_version command).
  const r = await t.running().catch(() => undefined);
  if (r) return r.version;
  const st = await t.status().catch(() => undefined);
  if (st?.running && st.version) return st.version;
  return (await t.currentVersion().catch(() => undefined)) ?? st?.version;
}

function choice(v: VerifyResult): BackupChoice {
  const taken = Date.parse(v.manifest.created_at);
  return {
    file: v.file,
    version: v.manifest.version,
    takenAt: Number.isFinite(taken) ? taken : 0,
    bytes: v.archiveBytes,
    detail: `sha256 ${v.sha256.slice(0, 16)}… matches its .sha256, zip and ${v.entries} manifest entries check out`,
  };
}

/** The offer: with `backupArg` only that backup (verified), else the newest verified ones. Throws when none verifies. */
export async function rollbackOffer(ctx: EngineContext, backupArg?: string): Promise<RollbackOffer> {
  const limits = limitsFor(ctx);
  const running = await runningVersion(ctx);
  const base = running ? { running } : {};
  if (backupArg) {
    const v = await verifyBackup(resolveBackupArg(ctx.ws, backupArg), { ws: ctx.ws, limits, expectEnv: ctx.env });
    return { ...base, choices: [choice(v)], skipped: [] };
  }
  const choices: BackupChoice[] = [];
  const skipped: RollbackOffer['skipped'] = [];
  for (const n of listBackups(ctx.ws.backupsDir, ctx.env)) {
    if (choices.length >= MAX_CHOICES) break;
    try {
      choices.push(choice(await verifyBackup(join(ctx.ws.backupsDir, n), { ws: ctx.ws, limits, expectEnv: ctx.env })));
    } catch (e) {
      if (!(e instanceof RefusedError || e instanceof UsageError)) throw e;
      skipped.push({ file: wsRelative(ctx.ws, join(ctx.ws.backupsDir, n)), reason: e.message });
    }
  }
  if (choices.length === 0) {
    if (skipped.length === 0) throw new UsageError(`No backups of ${ctx.env} (take one: npx rollout backup --env ${ctx.env}).`);
    throw new RefusedError(`None of the ${skipped.length} backups of ${ctx.env} verifies (newest: ${skipped[0]!.reason.replace(/\.$/, '')}).`);
  }
  return { ...base, choices, skipped };
}
