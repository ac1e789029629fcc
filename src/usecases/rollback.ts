// The rollback (SPEC.md "Auto-rollback flow"): notify -> verify the backup -> archive the current
// state -> restore (stage beside the target, check, swap atomically) -> bring the backup's version
// back (restart, or a command target's rollback command) -> the running version read from the
// target -> 3 consecutive OK health checks -> post-rollback smoke -> incident -> notify. One
// function for the CLI, the TUI, runbook steps and the monitor (auto-rollback, key, resume).
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tar from 'tar';
import { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import { interruptedRollback, writeJournal, clearJournal, type RollbackJournal } from '../backup/journal.js';
import { limitsFor } from '../backup/limits.js';
import { backupScope, contextScope } from '../backup/scope.js';
import { withEnvLockReentrant } from '../backup/lock.js';
import { resolveBackupArg, wsRelative } from '../backup/names.js';
import { cleanupSwaps, recoverRollback, stageBackup, swapIn, sweepTempArchives, type Recovery } from '../backup/restore.js';
import { testPause } from '../domain/test-pause.js';
import { newestVerifiedBackup, verifyBackup, type VerifyResult } from '../backup/verify.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { ioFailure } from '../domain/io-errors.js';
import { ExitCode, RefusedError, RolloutError, StepFailedError, type ExitCode as ExitCodeT } from '../domain/errors.js';
import { fileStamp } from '../domain/time.js';
import { openIncident, updateIncident } from './incident.js';
import { instanceChanged, rollbackFailedSentence, verifyRollback, type VerifyRollbackResult } from './rollback-verify.js';
import { createNotifier, sendAlongside, summarizeDelivery } from '../notify/index.js';
import type { Notification, Notifier } from '../notify/types.js';
import { checkHealth, type TimedHealthCheck } from '../probes/health.js';
import { makeTarget } from '../targets/make-target.js';
import type { SmokeRun } from '../steps/smoke.js';
import { describeInstance, type RunningInstance, type Target } from '../targets/contract.js';
import type { EngineContext } from '../config/engine-context.js';

/** The stages of a rollback, in SPEC.md's order. */
export const ROLLBACK_STAGES = ['notify', 'verify', 'archive', 'restore', 'restart', 'version', 'health', 'smoke', 'incident', 'notify-done'] as const;
export type RollbackStageName = (typeof ROLLBACK_STAGES)[number];

/** One stage as reported to onStage and kept in the outcome. */
export interface RollbackStage {
  name: RollbackStageName;
  status: 'running' | 'ok' | 'failed' | 'skipped' | 'planned';
  detail: string;
  at: number;
}

/** Why a rollback runs when the monitor starts it. */
export interface RollbackReason {
  gate: string;
  value: number | null;
  threshold: number;
  unit: string;
  /** The window the gate judged over (0: its latest reading), so messages name it rightly. */
  windowMinutes?: number;
}

/** Options of rollback(). */
export interface RollbackOptions {
  /** A backup path (absolute, or relative to the current folder or the workspace); default: the newest that verifies. */
  backup?: string;
  /** Confirms a production rollback without a terminal (SPEC.md production safety). */
  force: boolean;
  dryRun: boolean;
  reason?: RollbackReason;
  onStage?: (stage: RollbackStage) => void;
  /** The notifier to use (default: one built from the environment's notification settings). */
  notifier?: Notifier;
  /** The target (default: makeTarget(ctx)). */
  target?: Target;
  /** For the lock's holder record. */
  command?: string;
  /** Health polling (defaults: every 250 ms, timeout from the runbook's target or 30 s). */
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Journals of the rollout being rolled back (e.g. the monitor's), copied into the incident. */
  relatedLogs?: string[];
  /** When the breach was detected (default: when the rollback started); MTTR counts from it. */
  detectedAt?: number;
  /** Restore and restart even when the target already runs the backup's version and is healthy. */
  again?: boolean;
  /** Finishing an auto-rollback that a killed monitor left unverified (monitor --resume). */
  resume?: {
    /** The incident the interrupted run opened: updated, never a second one. */
    incidentId?: string;
    /** What ran before the interrupted run changed anything (from the monitor's journal). */
    before?: RunningInstance;
    /** The interrupted run sent rollback-start already. */
    startNotified?: boolean;
  };
}

/** What a rollback did. */
export interface RollbackOutcome {
  ok: boolean;
  dryRun: boolean;
  /** Exit code for the CLI: 0, 1 (restart, health or smoke failed) or 3 (refused). */
  exitCode: ExitCodeT;
  /** Workspace-relative backup that was (or would be) restored. */
  backup: string | null;
  /** The backup's version: what must run afterwards. */
  version: string | null;
  previousVersion: string | null;
  /** What the target said runs at the end (read from the target, never assumed). */
  runningVersion: string | null;
  /** Nothing to do: the target already ran the backup's version and was healthy. */
  noop?: boolean;
  /** The environment was changed but the rollback did not verify (ROLLBACK FAILED). */
  failed?: boolean;
  /** The one sentence of a no-op. */
  message?: string;
  incidentId: string | null;
  stages: RollbackStage[];
  healthChecks: TimedHealthCheck[];
  smoke: SmokeRun | null;
  preRollback: string | null;
  logFile: string | null;
  dryRunLog?: string;
  /** What recovering an interrupted earlier rollback did. */
  recovered?: string;
  /** The one sentence on failure. */
  error?: string;
  durationMs: number;
  /** Who each notification reached (nobody: only the fallback file, or nothing). */
  notified?: { stage: 'notify' | 'notify-done'; channels: string[]; nobody: boolean; pending: boolean }[];
}

/** Roll the environment back to a verified backup. Throws RefusedError (exit 3) when refused before anything changed. */
export async function rollback(ctx: EngineContext, opts: RollbackOptions): Promise<RollbackOutcome> {
  if (opts.dryRun) return planRollback(ctx, opts);
  if (ctx.production && !opts.force) {
    throw new RefusedError(`Rolling back ${ctx.env} needs confirmation: pass --force (or confirm in a terminal).`, [`rollout rollback --env ${ctx.env} --force`]);
  }
  return withEnvLockReentrant(ctx.ws, ctx.env, { operator: ctx.operator, command: opts.command ?? `rollout rollback --env ${ctx.env}` }, () => runLocked(ctx, opts));
}

function freeName(dir: string, make: (ms: number) => string, ms: number): string {
  let t = Math.floor(ms / 1000) * 1000;
  while (existsSync(join(dir, make(t)))) t += 1000;
  return make(t);
}

function errMsg(e: unknown): string {
  return redactString(e instanceof Error ? e.message : String(e));
}

async function runLocked(ctx: EngineContext, opts: RollbackOptions): Promise<RollbackOutcome> {
  const started = ctx.clock.now();
  const ws = ctx.ws;
  const log = AuditLog.open(ws.logsDir, 'rollback', ctx.env, { now: () => ctx.clock.now() });
  const logFile = wsRelative(ws, log.path);
  const stages: RollbackStage[] = [];
  const target = opts.target ?? makeTarget(ctx);
  const stage = (name: RollbackStageName, status: RollbackStage['status'], detail: string): void => {
    const s: RollbackStage = { name, status, detail: redactString(detail), at: ctx.clock.now() };
    const i = stages.findIndex((x) => x.name === name);
    if (i >= 0) stages[i] = s;
    else stages.push(s);
    log.write(status === 'failed' ? 'error' : 'info', `rollback.stage`, { stage: name, status, detail: s.detail });
    opts.onStage?.(s);
  };
  // What runs before anything changes, read from the target itself (never from our own records).
  let before = await target.running().catch(() => undefined);
  const outcome: RollbackOutcome = {
    ok: false,
    dryRun: false,
    exitCode: ExitCode.failed,
    backup: null,
    version: null,
    previousVersion: before?.version ?? (await target.currentVersion().catch(() => undefined)) ?? null,
    runningVersion: before?.version ?? null,
    incidentId: null,
    stages,
    healthChecks: [],
    smoke: null,
    preRollback: null,
    logFile,
    durationMs: 0,
  };
  log.info('rollback.start', { operator: ctx.operator, backup_arg: opts.backup ?? null, reason: opts.reason ?? null, current_version: outcome.previousVersion, running: before ?? null, again: Boolean(opts.again), resume: opts.resume ? true : undefined });

  // A rollback killed earlier is settled first (its journal says how far it got).
  const pending = interruptedRollback(ws, ctx.env);
  let recovery: Recovery | undefined;
  if (pending) {
    recovery = recoverRollback(ws, pending);
    outcome.recovered = recovery.message;
    log.warn('rollback.recovered', { phase: recovery.phase, backup: recovery.backup, message: recovery.message });
    before = await target.running().catch(() => undefined);
    outcome.previousVersion = before?.version ?? (await target.currentVersion().catch(() => undefined)) ?? null;
  }
  // Temp archives of killed rollbacks that no journal names (killed before it was written, or by
  // an older version): this run holds the lock, so they are nobody's.
  const swept = sweepTempArchives(ws, ctx.env);
  if (swept.length > 0) {
    const mb = (b: number): string => `${(b / 1024 ** 2).toFixed(1)} MB`;
    const note = `Removed ${swept.length} temporary archive${swept.length === 1 ? '' : 's'} left by an interrupted rollback: ${swept.map((x) => `${wsRelative(ws, x.path)} (${mb(x.bytes)})`).join(', ')}.`;
    outcome.recovered = outcome.recovered ? `${outcome.recovered} ${note}` : note;
    log.warn('rollback.temp_removed', { files: swept.map((x) => ({ file: wsRelative(ws, x.path), bytes: x.bytes })) });
  }
  // A resumed auto-rollback brings back what it set out to bring back.
  const backupArg = opts.backup ?? (opts.resume && pending ? pending.backup : undefined);
  const need = Math.max(1, ctx.gates.monitoring.healthOkRequired || 3);
  const t = ctx.target.target;
  const timeoutMs = opts.healthTimeoutMs ?? (t.kind === 'local' ? t.health_timeout_ms : 30_000);
  const intervalMs = opts.healthIntervalMs ?? 250;
  const limits = limitsFor(ctx);
  const findBackup = async (): Promise<VerifyResult> => {
    if (backupArg) return verifyBackup(resolveBackupArg(ws, backupArg), { ws, limits, expectEnv: ctx.env, scope: contextScope(ctx) });
    const r = await newestVerifiedBackup(ws, ctx.env, limits, contextScope(ctx));
    for (const s of r.skipped) log.warn('rollback.backup_skipped', { backup: s.file, reason: s.reason });
    return r.result;
  };

  // Asked again while the target already runs the backup's version and passes its health checks
  // (a manual rollback right after the auto-rollback): nothing to do, unless --again.
  if (!opts.again && !opts.resume && !pending && before) {
    const early = await findBackup().catch(() => undefined);
    if (early && early.manifest.version === before.version) {
      // Healthy means every one of `need` checks in a row passes now: one failure (a hung process) is enough to heal.
      const checks: TimedHealthCheck[] = [];
      for (let i = 0; i < need; i++) {
        if (i > 0) await ctx.clock.sleep(Math.min(intervalMs, 250));
        const c = await checkHealth(ctx.target.health);
        checks.push({ ...c, at: ctx.clock.now() });
        if (!c.ok) break;
      }
      const healthy = checks.length === need && checks.every((c) => c.ok);
      log.info('rollback.noop_check', { running: before, backup: early.file, healthy, checks: checks.map((c) => c.detail) });
      if (healthy) {
        outcome.ok = true;
        outcome.noop = true;
        outcome.exitCode = ExitCode.ok;
        outcome.backup = early.file;
        outcome.version = early.manifest.version;
        outcome.healthChecks = checks;
        outcome.message = `${ctx.env} already runs ${before.version} from ${early.file} and is healthy; nothing to do (use --again to restore and restart anyway).`;
        stage('verify', 'ok', `${early.file} verified (version ${early.manifest.version ?? 'unknown'})`);
        for (const n of ROLLBACK_STAGES) if (n !== 'verify') stage(n, 'skipped', `nothing to do: ${describeInstance(before)} runs and is healthy`);
        outcome.durationMs = ctx.clock.now() - started;
        log.info('rollback.done', { ok: true, noop: true, backup: early.file, version: before.version, duration_ms: outcome.durationMs, exit_code: 0 });
        log.close();
        return outcome;
      }
    }
  }

  const notifier = opts.notifier ?? createNotifier({ ws, env: ctx.env, settings: ctx.gates.notifications, log, clock: ctx.clock });
  const waitMs = ctx.gates.notifications.rollbackWaitMs;
  const pendingSends: Promise<unknown>[] = [];
  const notified: NonNullable<RollbackOutcome['notified']> = [];
  outcome.notified = notified;
  const notify = async (st: 'notify' | 'notify-done', n: Omit<Notification, 'env' | 'operator'>): Promise<string> => {
    const r = await sendAlongside(notifier, { ...n, env: ctx.env, operator: ctx.operator }, waitMs, ctx.clock);
    pendingSends.push(r.done);
    if (r.pending) {
      notified.push({ stage: st, channels: [], nobody: false, pending: true });
      return `sending (still running after ${waitMs} ms; the outcome is logged)`;
    }
    // The fallback file is a record, not a person: with no channel it reads NOBODY NOTIFIED.
    const d = summarizeDelivery(r.report!);
    notified.push({ stage: st, channels: d.channels, nobody: d.nobody, pending: false });
    return d.line;
  };
  const gate = opts.reason ? { name: opts.reason.gate, value: opts.reason.value, threshold: opts.reason.threshold, unit: opts.reason.unit, windowMinutes: opts.reason.windowMinutes ?? 0 } : undefined;

  const journalId = `${fileStamp(ctx.clock.now())}-${randomBytes(3).toString('hex')}`;
  let journal: RollbackJournal | undefined;
  let failure: RolloutError | undefined;
  let verified: VerifyResult | undefined;
  let check: VerifyRollbackResult | undefined;
  try {
    stage('notify', 'running', 'rollback-start');
    // Rounded for people: a raw float (3948.4732824427483 ms) reads as noise.
    const v = opts.reason?.value;
    const shown = v === null || v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
    const why = opts.reason ? `${opts.reason.gate} at ${shown}${opts.reason.unit === '%' ? '%' : ` ${opts.reason.unit}`} (threshold ${opts.reason.threshold}${opts.reason.unit === '%' ? '%' : ` ${opts.reason.unit}`})` : `requested by ${ctx.operator}`;
    if (!opts.resume?.startNotified) stage('notify', 'ok', await notify('notify', { type: 'rollback-start', message: `Rolling back ${ctx.env}: ${why}.`, logPath: logFile, ...(gate ? { gate } : {}) }));
    else stage('notify', 'skipped', 'rollback-start was sent by the interrupted run');

    // verify: nothing changes before the backup is known good.
    stage('verify', 'running', backupArg ? `checking ${backupArg}` : 'finding the newest backup that verifies');
    verified = await findBackup();
    outcome.backup = verified.file;
    outcome.version = verified.manifest.version;
    stage('verify', 'ok', `${verified.file} verified (SHA256 ${verified.sha256.slice(0, 12)}…, ${verified.entries} entries, version ${verified.manifest.version ?? 'unknown'})`);
    journal = {
      id: journalId,
      env: ctx.env,
      backup: verified.file,
      version: verified.manifest.version,
      operator: ctx.operator,
      pid: process.pid,
      started_at: new Date(started).toISOString(),
      phase: 'verified',
      temp: [],
      swaps: [],
    };
    writeJournal(ws, journal);
    await testPause('verified');

    // A resumed auto-rollback whose interrupted run already brought the backup's version back in
    // a new instance, healthy: that part is proven by the target, so only the checks are run again.
    const alreadyBack = opts.resume && !pending && before && before.version === verified.manifest.version && instanceChanged(opts.resume.before, before).changed === true && (await checkHealth(ctx.target.health)).ok;
    if (alreadyBack) {
      for (const n of ['archive', 'restore', 'restart'] as const) stage(n, 'skipped', `already done by the interrupted run: ${describeInstance(before!)} runs`);
      journal.phase = 'restarted';
      writeJournal(ws, journal);
    } else {
      // archive: the state about to be replaced, kept for a manual way back.
      stage('archive', 'running', 'archiving the current state');
      const existing = [...new Set([...verified.manifest.roots.map((r) => r.path), ...target.stateFiles()])].filter((p) => {
        try {
          lstatSync(join(ws.root, p));
          return true;
        } catch {
          return false;
        }
      });
      mkdirSync(ws.rollbacksDir, { recursive: true });
      const archiveName = freeName(ws.rollbacksDir, (ms) => `pre_rollback_${ctx.env}_${fileStamp(ms)}.tar.gz`, ctx.clock.now());
      const archivePath = join(ws.rollbacksDir, archiveName);
      const tmpArchive = join(ws.rollbacksDir, `.${archiveName}.${process.pid}.tmp`);
      journal.temp.push(tmpArchive);
    // Recorded before tar starts: a rollback killed while archiving leaves a temp file the next run must find.
    writeJournal(ws, journal);
      try {
        if (existing.length > 0) await tar.c({ gzip: true, file: tmpArchive, cwd: ws.root, portable: true, follow: false }, existing);
        else await tar.c({ gzip: true, file: tmpArchive, cwd: ws.root, portable: true }, []);
        renameSync(tmpArchive, archivePath);
      } catch (e) {
        try {
          rmSync(tmpArchive, { force: true });
        } catch {
          /* the failure below is the one to report */
        }
        throw ioFailure(e, `archive the current state of ${ctx.env} before the rollback (nothing was changed)`, ws.rollbacksDir) ?? new StepFailedError(`Could not archive the current state of ${ctx.env} to ${wsRelative(ws, archivePath)}: ${errMsg(e).replace(/\.$/, '')}.`);
      }
      outcome.preRollback = wsRelative(ws, archivePath);
      journal.pre_rollback = outcome.preRollback;
      journal.phase = 'archived';
      writeJournal(ws, journal);
      stage('archive', 'ok', `${outcome.preRollback} (${existing.length} paths)`);
      await testPause('archived');

      // restore: extract beside the targets, every entry checked again, then swap.
      stage('restore', 'running', `extracting ${verified.file}`);
      journal.swaps = await stageBackup(ws, verified.path, verified.file, verified.manifest.roots, journal.id, { limits, scope: backupScope(ws, ctx.runbook, ctx.env) });
      journal.phase = 'staged';
      writeJournal(ws, journal);
      await testPause('staged');
      await swapIn(ws, journal);
      await testPause('swapped');
      for (const s of journal.swaps) if (s.aside) rmSync(s.aside, { recursive: true, force: true });
      stage('restore', 'ok', `restored ${journal.swaps.length} paths of version ${verified.manifest.version ?? 'unknown'} (staged beside the targets, swapped in by rename)`);

      // restart: the target brings the backup's version back (a command target's rollback command).
      stage('restart', 'running', `bringing ${verified.manifest.version ?? 'the backup'} back on the ${ctx.env} target`);
      const lines: string[] = [];
      try {
        await target.rollbackTo({ version: verified.manifest.version ?? '', backup: verified.file, ...(before?.version ? { fromVersion: before.version } : {}) }, (l) => {
          lines.push(l);
          log.info('rollback.restart_output', { line: l });
        });
      } catch (e) {
        throw e instanceof RolloutError ? e : new StepFailedError(`Restarting ${ctx.env} failed: ${errMsg(e).replace(/\.$/, '')}.`);
      }
      journal.phase = 'restarted';
      writeJournal(ws, journal);
      stage('restart', 'ok', lines.at(-1) ?? 'restarted');
      await testPause('restarted');
    }

    // The check by running version, then health, then smoke (src/usecases/rollback-verify.ts).
    const smokeLog = AuditLog.open(ws.logsDir, 'smoke_test', ctx.env, { runId: log.runId, now: () => ctx.clock.now() });
    try {
      check = await verifyRollback(ctx, target, {
        expectVersion: verified.manifest.version,
        before: alreadyBack ? opts.resume?.before : before,
        need,
        intervalMs,
        timeoutMs,
        log,
        smokeLog,
        stage: (n, st, d) => stage(n, st, d),
      });
    } finally {
      smokeLog.close();
    }
    outcome.healthChecks = check.healthChecks;
    outcome.smoke = check.smoke;
    outcome.runningVersion = check.running?.version ?? null;
    if (check.failedAt === 'version' || check.failedAt === 'health') {
      throw new StepFailedError(rollbackFailedSentence(ctx.env, check.running, verified.manifest.version, check.reason ?? 'the check failed'), [`The restored files are in place${outcome.preRollback ? `; the state before the rollback is in ${outcome.preRollback}` : ''}.`]);
    }
    if (!check.ok) throw new StepFailedError(rollbackFailedSentence(ctx.env, check.running, verified.manifest.version, check.reason ?? 'the check failed'));
    journal.phase = 'healthy';
    writeJournal(ws, journal);
    outcome.ok = true;
    outcome.exitCode = ExitCode.ok;
  } catch (e) {
    failure = e instanceof RolloutError ? e : new StepFailedError(`Rollback of ${ctx.env} failed: ${errMsg(e).replace(/\.$/, '')}.`);
    outcome.error = redactString(failure.message);
    outcome.exitCode = failure.exitCode;
    const running = stages.find((s) => s.status === 'running');
    if (running) stage(running.name, 'failed', failure.message);
    log.error('rollback.failed', { error: failure.message, exit_code: failure.exitCode });
  }

  // Settle the journal: nothing changed (clean up), or restored (keep nothing but the result).
  // A swap that failed half-way keeps its journal: the next run finishes it (recoverRollback).
  if (journal && journal.phase !== 'swapping') {
    cleanupSwaps(journal);
    clearJournal(ws, ctx.env);
  }

  // incident: only when the environment was changed (a refused rollback changed nothing).
  const changed = journal !== undefined && journal.phase !== 'verified' && journal.phase !== 'archived' && journal.phase !== 'staged';
  if (changed && !outcome.ok) {
    // Said loudly and read from the target: what runs after a rollback that did not verify.
    if (!check?.running) check = { ...(check ?? { ok: false, healthChecks: [], smoke: null }), running: await target.running().catch(() => undefined) };
    outcome.runningVersion = check.running?.version ?? null;
    if (!outcome.error?.startsWith('ROLLBACK FAILED')) outcome.error = rollbackFailedSentence(ctx.env, check.running, outcome.version, outcome.error ?? 'the rollback failed');
    outcome.failed = true;
  }
  let incidentDir: string | undefined;
  if (changed) {
    stage('incident', 'running', opts.resume?.incidentId ? `updating ${opts.resume.incidentId}` : 'writing the incident record');
    try {
      incidentDir = await writeIncident(ctx, outcome, opts, log.path, started);
      stage('incident', 'ok', wsRelative(ws, incidentDir));
    } catch (e) {
      stage('incident', 'failed', `could not write the incident record: ${errMsg(e)}`);
    }
    await testPause('incident');
  } else stage('incident', 'skipped', 'nothing was changed');

  const doneDetail = await notify('notify-done', {
    type: outcome.ok ? 'rollback-success' : 'rollback-failure',
    message: outcome.ok
      ? `Rolled back ${ctx.env} to ${outcome.version ?? 'the backup'} (${outcome.backup}): the target runs ${outcome.runningVersion ?? outcome.version}${check?.instance ? ` (${check.instance})` : ''}; ${outcome.healthChecks.filter((c) => c.ok).length} OK health checks, smoke tests passed.`
      : changed
        ? (outcome.error ?? `ROLLBACK FAILED: ${ctx.env}: unknown error`)
        : // Refused before anything changed (e.g. the backup failed its integrity check): say so, so
          // that the rollback-start alert is not read as a half-done rollback.
          `Rollback of ${ctx.env} refused, nothing was changed${outcome.previousVersion ? ` (${outcome.previousVersion} still deployed)` : ''}: ${outcome.error ?? 'unknown error'}`,
    logPath: logFile,
    ...(outcome.version ? { version: outcome.version } : {}),
    ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}),
  }).catch((e: unknown) => `failed: ${errMsg(e)}`);
  stage('notify-done', 'ok', doneDetail);

  outcome.durationMs = ctx.clock.now() - started;
  log.write(outcome.ok ? 'info' : 'error', 'rollback.done', { ok: outcome.ok, backup: outcome.backup, version: outcome.version, running_version: outcome.runningVersion, previous_version: outcome.previousVersion, incident: outcome.incidentId, pre_rollback: outcome.preRollback, duration_ms: outcome.durationMs, exit_code: outcome.exitCode });
  log.close();
  // The incident keeps the final log (copied again now that the last events are written).
  if (incidentDir) copyIfExists(log.path, join(incidentDir, 'logs', basename(log.path)));
  // Sends still running are allowed to finish before the process ends, never to delay the rollback.
  void Promise.allSettled(pendingSends);
  if (failure && failure.exitCode === ExitCode.refused) throw failure;
  return outcome;
}

/** The environment's newest real deploy journal: the rollout that is being rolled back. */
function newestDeployLog(ctx: EngineContext): string[] {
  if (!existsSync(ctx.ws.logsDir)) return [];
  const re = new RegExp(`^deploy_${ctx.env}_\\d{8}_\\d{6}\\.log$`);
  const last = readdirSync(ctx.ws.logsDir).filter((f) => re.test(f)).sort().pop();
  return last ? [join(ctx.ws.logsDir, last)] : [];
}

function copyIfExists(from: string, to: string): void {
  if (existsSync(from)) copyFileSync(from, to);
}

/** incidents/INC-<ts>/ through the incident service (or the resumed rollback's own incident, updated). */
async function writeIncident(ctx: EngineContext, outcome: RollbackOutcome, opts: RollbackOptions, logPath: string, started: number): Promise<string> {
  const healthy = outcome.healthChecks.length > 0 && outcome.stages.some((s) => s.name === 'health' && s.status === 'ok') ? outcome.healthChecks.at(-1) : undefined;
  const facts = {
    env: ctx.env,
    trigger: opts.reason
      ? { kind: 'auto' as const, gate: opts.reason.gate, value: opts.reason.value, threshold: opts.reason.threshold, unit: opts.reason.unit }
      : { kind: 'manual' as const, operator: ctx.operator, reason: 'rollout rollback' },
    detected_at: new Date(opts.detectedAt ?? started).toISOString(),
    ...(healthy ? { healthy_at: new Date(healthy.at).toISOString() } : {}),
    rollback_ok: outcome.ok,
    outcome: outcome.ok ? ('rolled-back' as const) : ('rollback-failed' as const),
    ...(outcome.backup ? { backup: outcome.backup } : {}),
    ...(outcome.version ? { backup_version: outcome.version } : {}),
    ...(outcome.previousVersion ? { version_before: opts.resume?.before?.version ?? outcome.previousVersion } : {}),
    // What the target itself said runs afterwards: never the backup's version on a guess.
    ...(outcome.runningVersion ? { version_after: outcome.runningVersion } : {}),
    ...(outcome.smoke ? { smoke_ok: outcome.smoke.ok } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(opts.resume ? { resumed: true } : {}),
  };
  const logs = [...newestDeployLog(ctx), ...(opts.relatedLogs ?? []), logPath, ...(outcome.smoke?.logPath ? [outcome.smoke.logPath] : [])];
  const rec = opts.resume?.incidentId ? await updateIncident(ctx.ws, opts.resume.incidentId, { ...facts, logs }) : await openIncident(ctx.ws, { ...facts, logs, now: started });
  outcome.incidentId = rec.id;
  return join(ctx.ws.incidentsDir, rec.id);
}

/** --dry-run: verify, plan every stage, write rollback-dryrun.log; change nothing. */
async function planRollback(ctx: EngineContext, opts: RollbackOptions): Promise<RollbackOutcome> {
  const started = ctx.clock.now();
  const ws = ctx.ws;
  const target = opts.target ?? makeTarget(ctx);
  const stages: RollbackStage[] = [];
  const plan = (name: RollbackStageName, detail: string, status: RollbackStage['status'] = 'planned'): void => {
    const s = { name, status, detail: redactString(detail), at: ctx.clock.now() };
    stages.push(s);
    opts.onStage?.(s);
  };
  const current = (await target.currentVersion().catch(() => undefined)) ?? null;
  const pending = interruptedRollback(ws, ctx.env);
  let verified: VerifyResult | undefined;
  let error: string | undefined;
  let exitCode: ExitCodeT = ExitCode.ok;
  plan('notify', 'send rollback-start (critical) on every configured channel, waiting at most ' + `${ctx.gates.notifications.rollbackWaitMs} ms`);
  try {
    const limits = limitsFor(ctx);
    if (opts.backup) verified = await verifyBackup(resolveBackupArg(ws, opts.backup), { ws, limits, expectEnv: ctx.env, scope: contextScope(ctx) });
    else verified = (await newestVerifiedBackup(ws, ctx.env, limits, contextScope(ctx))).result;
    plan('verify', `${verified.file} verifies now (SHA256 ${verified.sha256.slice(0, 12)}…, version ${verified.manifest.version ?? 'unknown'}); it is verified again before the restore`, 'ok');
  } catch (e) {
    error = errMsg(e);
    exitCode = e instanceof RolloutError ? e.exitCode : ExitCode.failed;
    plan('verify', error, 'failed');
  }
  const roots = verified?.manifest.roots ?? [];
  plan('archive', `archive ${[...new Set([...roots.map((r) => r.path), ...target.stateFiles()])].join(', ')} to rollbacks/pre_rollback_${ctx.env}_<ts>.tar.gz`);
  plan('restore', roots.length ? `extract into hidden folders beside ${roots.map((r) => r.path).join(', ')}, check every file against the manifest, then swap each in by rename (${roots.filter((r) => r.kind === 'absent').map((r) => `${r.path} removed`).join(', ') || 'nothing removed'})` : 'nothing to restore');
  plan('restart', `bring ${verified?.manifest.version ?? 'the backup\'s version'} back: ${target.kind === 'command' && ctx.target.target.kind === 'command' && ctx.target.target.rollback ? `run the runbook's rollback command (${redactString(ctx.target.target.rollback)})` : `restart the ${ctx.env} service (${target.kind} target)`}`);
  plan('version', `read the running version from the target: it must be ${verified?.manifest.version ?? 'the backup\'s version'} in a new instance`);
  plan('health', `wait for ${Math.max(1, ctx.gates.monitoring.healthOkRequired || 3)} consecutive OK health checks`);
  plan('smoke', `post-rollback smoke tests: ${ctx.target.smoke.filter((c) => !c.phases || c.phases.includes('post-rollback')).map((c) => c.id).join(', ') || 'none configured'}`);
  plan('incident', 'write incidents/INC-<YYYYMMDD-HHMMSS>/ with the logs and a copy of quality-gates-config.json');
  plan('notify-done', 'send rollback-success or rollback-failure');
  const lines = [
    `rollout rollback --env ${ctx.env} --dry-run`,
    `at ${new Date(started).toISOString()} by ${ctx.operator}; deployed now: ${current ?? 'nothing'}; would restore: ${verified ? `${verified.file} (version ${verified.manifest.version ?? 'unknown'})` : 'no backup (see verify)'}`,
    ...(ctx.production && !opts.force ? ['production: the real rollback needs --force (or a typed confirmation in a terminal)'] : []),
    ...(pending ? [`an earlier rollback was interrupted at "${pending.phase}"; the real run settles it first`] : []),
    ...stages.map((s, i) => `${String(i + 1).padStart(2)}. ${s.name.padEnd(12)} ${s.status === 'planned' ? '' : `[${s.status}] `}${s.detail}`),
    'nothing was changed (dry run)',
  ];
  writeFileAtomic(join(ws.root, 'rollback-dryrun.log'), `${lines.map((l) => redactString(l)).join('\n')}\n`);
  return {
    ok: error === undefined,
    dryRun: true,
    exitCode,
    backup: verified?.file ?? null,
    version: verified?.manifest.version ?? null,
    previousVersion: current,
    runningVersion: null,
    incidentId: null,
    stages,
    healthChecks: [],
    smoke: null,
    preRollback: null,
    logFile: null,
    dryRunLog: 'rollback-dryrun.log',
    ...(error ? { error } : {}),
    durationMs: ctx.clock.now() - started,
  };
}
