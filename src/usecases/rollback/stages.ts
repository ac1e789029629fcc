// The rollback as one list of stages (SPEC.md "Auto-rollback flow"), each with plan (what a dry
// run prints, reading only) and run (what the real rollback does). `rollout rollback --dry-run`
// and the real run walk this same list, so the plan cannot drift from what runs. A stage may say
// why it is skipped: a resumed rollback skips only what the target proves was done already.
// Stages up to smoke stop at the first failure; incident and notify-done settle every run.
import { formatNumber, formatValue } from '../../domain/format.js';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import * as tar from 'tar';
import { AuditLog } from '../../audit/logger.js';
import { redactString } from '../../audit/redact.js';
import { writeJournal, type RollbackJournal, type SwapItem } from '../../backup/journal.js';
import type { ArchiveLimits } from '../../backup/limits.js';
import { backupScope } from '../../backup/scope.js';
import { wsRelative } from '../../backup/names.js';
import { plannedSwaps, stageBackup, swapIn } from '../../backup/restore.js';
import type { VerifyResult } from '../../backup/verify.js';
import type { EngineContext } from '../../config/engine-context.js';
import { RolloutError, StepFailedError } from '../../domain/errors.js';
import { ioFailure } from '../../domain/io-errors.js';
import { testPause } from '../../domain/test-pause.js';
import { fileStamp } from '../../domain/time.js';
import type { Notification } from '../../notify/types.js';
import { checkHealth } from '../../probes/health.js';
import { describeInstance, type RunningInstance, type Target } from '../../targets/contract.js';
import { checkHealthAfter, checkRunningVersion, checkSmokeAfter, instanceChanged, newVerifyResult, rollbackFailedSentence, type VerifyRollbackOptions, type VerifyRollbackResult } from '../rollback-verify.js';
import type { StageDef } from '../stages.js';
import type { RollbackOptions, RollbackOutcome, RollbackStage, RollbackStageName } from './types.js';

/** Everything the stages of one real rollback read and write. */
export interface RollbackRun {
  readonly ctx: EngineContext;
  readonly opts: RollbackOptions;
  readonly target: Target;
  readonly log: AuditLog;
  /** Workspace-relative path of the rollback's log. */
  readonly logFile: string;
  readonly started: number;
  readonly outcome: RollbackOutcome;
  /** What ran before anything changed, read from the target. */
  readonly before: RunningInstance | undefined;
  /** An interrupted earlier rollback was found (and settled) by this run. */
  readonly hadPending: boolean;
  /** The backup asked for (or the one an interrupted auto-rollback set out to restore). */
  readonly backupArg: string | undefined;
  readonly need: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly limits: ArchiveLimits;
  readonly journalId: string;
  findBackup(): Promise<VerifyResult>;
  notify(st: 'notify' | 'notify-done', n: Omit<Notification, 'env' | 'operator'>): Promise<string>;
  stage(name: RollbackStageName, status: RollbackStage['status'], detail: string): void;
  journal?: RollbackJournal;
  verified?: VerifyResult;
  check?: VerifyRollbackResult;
  /** The interrupted run had brought the backup's version back in a new, healthy instance (proven by the target). */
  alreadyBack?: boolean;
  /** The environment was changed (files swapped in or further): an incident is due. */
  changed?: boolean;
  /** Where the incident was written. */
  incidentDir?: string;
  /** The restore's staging, started beside the archive (when its folders lie outside what the archive reads). */
  staging?: Promise<SwapItem[]>;
  /** rollback-start, sent beside verify, archive and staging; awaited before the first swap and before notify-done. */
  startNotice?: Promise<void>;
  /** The removal of the set-aside old files, running beside the restart (settle() waits for it). */
  asidesRemoved?: Promise<void>;
}

/** What a dry run knows (read-only). */
export interface RollbackPlan {
  readonly ctx: EngineContext;
  readonly target: Target;
  /** The backup that verifies now, or why none does. */
  readonly verified?: VerifyResult;
  readonly verifyError?: string;
  /** A backup named but not verified by this plan (training): it is verified when the rollback runs. */
  readonly unverified?: string;
}

/** One stage of the list (the shape every staged use case shares: ../stages.ts). */
export type RollbackStageDef = StageDef<RollbackStageName, RollbackPlan, RollbackRun>;

function errMsg(e: unknown): string {
  return redactString(e instanceof Error ? e.message : String(e));
}

function freeName(dir: string, make: (ms: number) => string, ms: number): string {
  let t = Math.floor(ms / 1000) * 1000;
  while (existsSync(join(dir, make(t)))) t += 1000;
  return make(t);
}

function checkOptions(r: RollbackRun, extra: Partial<VerifyRollbackOptions> = {}): VerifyRollbackOptions {
  return {
    expectVersion: r.verified?.manifest.version ?? null,
    // A resumed rollback whose interrupted run restarted already compares with what ran before that run.
    before: r.alreadyBack ? r.opts.resume?.before : r.before,
    need: r.need,
    intervalMs: r.intervalMs,
    timeoutMs: r.timeoutMs,
    log: r.log,
    stage: (n, st, d) => r.stage(n, st, d),
    ...extra,
  };
}

/** A failed version or health check: the loud sentence, and where the restored files are. */
function checkFailed(r: RollbackRun, withFiles: boolean): StepFailedError {
  const c = r.check!;
  const sentence = rollbackFailedSentence(r.ctx.env, c.running, r.verified?.manifest.version ?? null, c.reason ?? 'the check failed');
  return withFiles ? new StepFailedError(sentence, [`The restored files are in place${r.outcome.preRollback ? `; the state before the rollback is in ${r.outcome.preRollback}` : ''}.`]) : new StepFailedError(sentence);
}

/** Extract the verified backup into the staging folders its journal names (checked entry by entry). */
function stageFiles(r: RollbackRun): Promise<SwapItem[]> {
  const { ctx, journal, verified } = r;
  return stageBackup(ctx.ws, verified!.path, verified!.file, verified!.manifest.roots, journal!.id, { limits: r.limits, scope: backupScope(ctx.ws, ctx.runbook, ctx.env) });
}

/** Wait for rollback-start (sent beside the stages that change nothing); rethrows its failure. */
async function startNotice(r: RollbackRun): Promise<void> {
  await r.startNotice;
}

/** A stage whose effect a resumed rollback may find proven by the target. */
const provenByResume = (r: RollbackRun): string | undefined => (r.alreadyBack && r.before ? `already done by the interrupted run: ${describeInstance(r.before)} runs` : undefined);

/** The rollback, stage by stage, in SPEC.md's order. */
export const STAGES: readonly RollbackStageDef[] = [
  {
    name: 'notify',
    plan: (p) => ({ detail: `send rollback-start (critical) on every configured channel, waiting at most ${p.ctx.gates.notifications.rollbackWaitMs} ms` }),
    skip: (r) => (r.opts.resume?.startNotified ? 'rollback-start was sent by the interrupted run' : undefined),
    async run(r) {
      r.stage('notify', 'running', 'rollback-start');
      const reason = r.opts.reason;
      // Rounded for people (src/domain/format.ts): a raw float (3948.4732824427483 ms) reads as noise.
      const why = reason ? `${reason.gate} at ${formatValue(reason.value, reason.unit, { none: 'n/a' })} (threshold ${formatValue(reason.threshold, reason.unit)}${reason.windowMinutes ? `, ${formatNumber(reason.windowMinutes)} min window` : ''})` : `requested by ${r.ctx.operator}`;
      const gate = reason ? { name: reason.gate, value: reason.value, threshold: reason.threshold, unit: reason.unit, windowMinutes: reason.windowMinutes ?? 0 } : undefined;
      // Sent beside verify, the archive and the staging of the files (none of them changes the
      // environment, and none waits on it): the restore waits for it before the first file is
      // swapped in, so rollback-start still goes out before anything changes, and notify-done
      // after it. The wait stays bounded by rollback_wait_ms (sendAlongside) as before.
      const notice = r.notify('notify', { type: 'rollback-start', message: `Rolling back ${r.ctx.env}: ${why}.`, logPath: r.logFile, ...(gate ? { gate } : {}) }).then(
        (detail) => r.stage('notify', 'ok', detail),
        (e: unknown) => {
          r.stage('notify', 'failed', errMsg(e));
          throw e;
        },
      );
      // Handled where it is awaited (startNotice below); never an unhandled rejection meanwhile.
      notice.catch(() => undefined);
      r.startNotice = notice;
    },
  },
  {
    name: 'verify',
    plan: (p) =>
      p.verified
        ? { detail: `${p.verified.file} verifies now (SHA256 ${p.verified.sha256.slice(0, 12)}…, version ${p.verified.manifest.version ?? 'unknown'}); it is verified again before the restore`, status: 'ok' }
        : p.unverified && !p.verifyError
          ? { detail: `verify ${p.unverified} against its .sha256 and its manifest before anything changes` }
          : { detail: p.verifyError ?? 'no backup verifies', status: 'failed' },
    async run(r) {
      // Nothing changes before the backup is known good.
      r.stage('verify', 'running', r.backupArg ? `checking ${r.backupArg}` : 'finding the newest backup that verifies');
      const verified = await r.findBackup();
      r.verified = verified;
      r.outcome.backup = verified.file;
      r.outcome.version = verified.manifest.version;
      r.stage('verify', 'ok', `${verified.file} verified (SHA256 ${verified.sha256.slice(0, 12)}…, ${verified.entries} entries, version ${verified.manifest.version ?? 'unknown'})`);
      r.journal = { id: r.journalId, env: r.ctx.env, backup: verified.file, version: verified.manifest.version, operator: r.ctx.operator, pid: process.pid, started_at: new Date(r.started).toISOString(), phase: 'verified', temp: [], swaps: [] };
      // Safety, kept: the journal is written (temp, fsync, rename) at each step a later run reads to
      // settle this one (temp archive, planned swaps, each swap, restarted). Unsynced, a power loss
      // could leave the renamed journal empty, and an empty journal reads as "nothing interrupted".
      writeJournal(r.ctx.ws, r.journal);
      await testPause('verified');
      // A resumed auto-rollback whose interrupted run already brought the backup's version back in
      // a new instance, healthy: that part is proven by the target, so only the checks run again.
      const b = r.before;
      r.alreadyBack = Boolean(r.opts.resume && !r.hadPending && b && b.version === verified.manifest.version && instanceChanged(r.opts.resume.before, b).changed === true && (await checkHealth(r.ctx.target.health)).ok);
      if (r.alreadyBack) {
        r.journal.phase = 'restarted';
        writeJournal(r.ctx.ws, r.journal);
      }
    },
  },
  {
    name: 'archive',
    plan: (p) => {
      const roots = p.verified?.manifest.roots ?? [];
      return { detail: `archive ${[...new Set([...roots.map((x) => x.path), ...p.target.stateFiles()])].join(', ')} to rollbacks/pre_rollback_${p.ctx.env}_<ts>.tar.gz` };
    },
    skip: provenByResume,
    async run(r) {
      // The state about to be replaced, kept for a manual way back.
      const { ctx, journal, verified, outcome } = r;
      const ws = ctx.ws;
      r.stage('archive', 'running', 'archiving the current state');
      const existing = [...new Set([...verified!.manifest.roots.map((x) => x.path), ...r.target.stateFiles()])].filter((p) => {
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
      journal!.temp.push(tmpArchive);
      // The restore's staging (extracting the backup into hidden folders beside the roots, every
      // entry checked) changes nothing either, so it runs beside tar: but only when none of those
      // folders lies inside a path the archive reads, so the archive holds exactly what it held.
      // Its folders go into the journal first, so a run killed meanwhile has the next one remove
      // them (as it removes the temp archive); the restore stage waits for it and reports its failure.
      const planned = plannedSwaps(ws, verified!.manifest.roots, journal!.id);
      const read = existing.map((p) => join(ws.root, p));
      const beside = planned.every((x) => x.staged === null || !read.some((a) => x.staged === a || x.staged!.startsWith(`${a}${sep}`)));
      if (beside) journal!.swaps = planned;
      // Recorded before tar starts: a rollback killed while archiving leaves a temp file the next run must find.
      writeJournal(ws, journal!);
      if (beside) {
        r.staging = stageFiles(r);
        r.staging.catch(() => undefined);
      }
      try {
        await tar.c({ gzip: true, file: tmpArchive, cwd: ws.root, portable: true, ...(existing.length > 0 ? { follow: false } : {}) }, existing);
        renameSync(tmpArchive, archivePath);
      } catch (e) {
        try {
          rmSync(tmpArchive, { force: true });
        } catch {
          /* the failure below is the one to report */
        }
        // The settling cleanup (the journal's staging folders) must not race a staging still writing.
        await r.staging?.catch(() => undefined);
        throw ioFailure(e, `archive the current state of ${ctx.env} before the rollback (nothing was changed)`, ws.rollbacksDir) ?? new StepFailedError(`Could not archive the current state of ${ctx.env} to ${wsRelative(ws, archivePath)}: ${errMsg(e).replace(/\.$/, '')}.`);
      }
      outcome.preRollback = wsRelative(ws, archivePath);
      journal!.pre_rollback = outcome.preRollback;
      journal!.phase = 'archived';
      writeJournal(ws, journal!);
      r.stage('archive', 'ok', `${outcome.preRollback} (${existing.length} paths)`);
      await testPause('archived');
    },
  },
  {
    name: 'restore',
    plan: (p) => {
      const roots = p.verified?.manifest.roots ?? [];
      return { detail: roots.length ? `extract into hidden folders beside ${roots.map((x) => x.path).join(', ')}, check every file against the manifest, then swap each in by rename (${roots.filter((x) => x.kind === 'absent').map((x) => `${x.path} removed`).join(', ') || 'nothing removed'})` : 'nothing to restore' };
    },
    skip: provenByResume,
    async run(r) {
      // Extract beside the targets, every entry checked again, then swap.
      const { ctx, journal, verified } = r;
      r.stage('restore', 'running', `extracting ${verified!.file}`);
      if (r.staging) journal!.swaps = await r.staging;
      else {
        // The staging folders go into the journal before they are made: a kill -9 while extracting
        // leaves them half full, and the next run removes only what the journal names.
        journal!.swaps = plannedSwaps(ctx.ws, verified!.manifest.roots, journal!.id);
        writeJournal(ctx.ws, journal!);
        journal!.swaps = await stageFiles(r);
      }
      journal!.phase = 'staged';
      writeJournal(ctx.ws, journal!);
      await testPause('staged');
      // rollback-start has gone out (or its wait ran out) before the first change.
      await startNotice(r);
      await swapIn(ctx.ws, journal!);
      await testPause('swapped');
      // The old files set aside by the swap are deleted on libuv's threads, beside the restart:
      // deleting an old release (thousands of files) is no reason to keep the service down longer.
      // The journal still names them, so a run killed meanwhile has its next run remove the rest;
      // settle() waits for this before its own cleanup of what the journal names.
      // allSettled, not all: settle() must not start its own cleanup while another deletion still runs.
      r.asidesRemoved = Promise.allSettled(journal!.swaps.map((s) => (s.aside ? rm(s.aside, { recursive: true, force: true }) : undefined))).then((results) => {
        for (const x of results) if (x.status === 'rejected') r.log.warn('rollback.aside_remove_failed', { error: errMsg(x.reason) });
      });
      r.stage('restore', 'ok', `restored ${journal!.swaps.length} paths of version ${verified!.manifest.version ?? 'unknown'} (staged beside the targets, swapped in by rename)`);
    },
  },
  {
    name: 'restart',
    plan: (p) => {
      const t = p.ctx.target.target;
      return { detail: `bring ${p.verified?.manifest.version ?? "the backup's version"} back: ${p.target.kind === 'command' && t.kind === 'command' && t.rollback ? `run the runbook's rollback command (${redactString(t.rollback)})` : `restart the ${p.ctx.env} service (${p.target.kind} target)`}` };
    },
    skip: provenByResume,
    async run(r) {
      // The target brings the backup's version back (a command target's rollback command).
      const { ctx, journal, verified } = r;
      r.stage('restart', 'running', `bringing ${verified!.manifest.version ?? 'the backup'} back on the ${ctx.env} target`);
      const lines: string[] = [];
      try {
        await r.target.rollbackTo({ version: verified!.manifest.version ?? '', backup: verified!.file, ...(r.before?.version ? { fromVersion: r.before.version } : {}) }, (l) => {
          lines.push(l);
          r.log.info('rollback.restart_output', { line: l });
        });
      } catch (e) {
        throw e instanceof RolloutError ? e : new StepFailedError(`Restarting ${ctx.env} failed: ${errMsg(e).replace(/\.$/, '')}.`);
      }
      journal!.phase = 'restarted';
      writeJournal(ctx.ws, journal!);
      r.stage('restart', 'ok', lines.at(-1) ?? 'restarted');
      await testPause('restarted');
    },
  },
  {
    name: 'version',
    plan: (p) => ({ detail: `read the running version from the target: it must be ${p.verified?.manifest.version ?? "the backup's version"} in a new instance` }),
    async run(r) {
      // Safety, kept: what runs is read back from the target itself; files in place prove nothing.
      r.check = newVerifyResult();
      const ok = await checkRunningVersion(r.ctx, r.target, checkOptions(r), r.check);
      r.outcome.runningVersion = r.check.running?.version ?? null;
      if (!ok) throw checkFailed(r, true);
    },
  },
  {
    name: 'health',
    plan: (p) => ({ detail: `wait for ${Math.max(1, p.ctx.gates.monitoring.healthOkRequired || 3)} consecutive OK health checks` }),
    async run(r) {
      // What runs after the checks (smoke, incident) loads in the checks' spacing, not before the
      // rollback starts: it is not on the way to the restored service (a failed import is met
      // again, and reported, where it is used).
      for (const m of [import('../../steps/smoke.js'), import('../incident.js')]) m.catch(() => undefined);
      const ok = await checkHealthAfter(r.ctx, checkOptions(r), r.check!);
      r.outcome.healthChecks = r.check!.healthChecks;
      if (!ok) throw checkFailed(r, true);
    },
  },
  {
    name: 'smoke',
    plan: (p) => ({ detail: `post-rollback smoke tests: ${p.ctx.target.smoke.filter((c) => !c.phases || c.phases.includes('post-rollback')).map((c) => c.id).join(', ') || 'none configured'}` }),
    async run(r) {
      const smokeLog = AuditLog.open(r.ctx.ws.logsDir, 'smoke_test', r.ctx.env, { runId: r.log.runId, now: () => r.ctx.clock.now() });
      let ok: boolean;
      try {
        ok = await checkSmokeAfter(r.ctx, checkOptions(r, { smokeLog }), r.check!);
      } finally {
        smokeLog.close();
      }
      r.outcome.smoke = r.check!.smoke;
      if (!ok) throw checkFailed(r, false);
      r.journal!.phase = 'healthy';
      writeJournal(r.ctx.ws, r.journal!);
    },
  },
  {
    name: 'incident',
    settle: true,
    plan: () => ({ detail: 'write incidents/INC-<YYYYMMDD-HHMMSS>/ with the logs and a copy of quality-gates-config.json' }),
    // Only when the environment was changed (a refused rollback changed nothing).
    skip: (r) => (r.changed ? undefined : 'nothing was changed'),
    async run(r) {
      r.stage('incident', 'running', r.opts.resume?.incidentId ? `updating ${r.opts.resume.incidentId}` : 'writing the incident record');
      try {
        r.incidentDir = await writeIncident(r);
        r.stage('incident', 'ok', wsRelative(r.ctx.ws, r.incidentDir));
      } catch (e) {
        r.stage('incident', 'failed', `could not write the incident record: ${errMsg(e)}`);
      }
      await testPause('incident');
    },
  },
  {
    name: 'notify-done',
    settle: true,
    plan: () => ({ detail: 'send rollback-success or rollback-failure' }),
    async run(r) {
      const { ctx, outcome } = r;
      // After rollback-start, whatever became of it (a failure is already in its stage).
      await startNotice(r).catch(() => undefined);
      const detail = await r
        .notify('notify-done', {
          type: outcome.ok ? 'rollback-success' : 'rollback-failure',
          message: outcome.ok
            ? `Rolled back ${ctx.env} to ${outcome.version ?? 'the backup'} (${outcome.backup}): the target runs ${outcome.runningVersion ?? outcome.version}${r.check?.instance ? ` (${r.check.instance})` : ''}; ${outcome.healthChecks.filter((c) => c.ok).length} OK health checks, smoke tests passed.`
            : r.changed
              ? (outcome.error ?? `ROLLBACK FAILED: ${ctx.env}: unknown error`)
              : // Refused before anything changed (e.g. the backup failed its integrity check): say so, so
                // that the rollback-start alert is not read as a half-done rollback.
                `Rollback of ${ctx.env} refused, nothing was changed${outcome.previousVersion ? ` (${outcome.previousVersion} still deployed)` : ''}: ${outcome.error ?? 'unknown error'}`,
          logPath: r.logFile,
          ...(outcome.version ? { version: outcome.version } : {}),
          ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}),
        })
        .catch((e: unknown) => `failed: ${errMsg(e)}`);
      r.stage('notify-done', 'ok', detail);
    },
  },
];

/** The environment's newest real deploy journal: the rollout that is being rolled back. */
function newestDeployLog(ctx: EngineContext): string[] {
  if (!existsSync(ctx.ws.logsDir)) return [];
  const re = new RegExp(`^deploy_${ctx.env}_\\d{8}_\\d{6}\\.log$`);
  const last = readdirSync(ctx.ws.logsDir).filter((f) => re.test(f)).sort().pop();
  return last ? [join(ctx.ws.logsDir, last)] : [];
}

/** Copy a file when it exists (the final rollback log into its incident). */
export function copyIfExists(from: string, to: string): void {
  if (existsSync(from)) copyFileSync(from, to);
}

/** incidents/INC-<ts>/ through the incident service (or the resumed rollback's own incident, updated). */
async function writeIncident(r: RollbackRun): Promise<string> {
  const { ctx, outcome, opts, started } = r;
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
  const logs = [...newestDeployLog(ctx), ...(opts.relatedLogs ?? []), r.log.path, ...(outcome.smoke?.logPath ? [outcome.smoke.logPath] : [])];
  const { openIncident, updateIncident } = await import('../incident.js');
  const rec = opts.resume?.incidentId ? await updateIncident(ctx.ws, opts.resume.incidentId, { ...facts, logs }) : await openIncident(ctx.ws, { ...facts, logs, now: started });
  outcome.incidentId = rec.id;
  return join(ctx.ws.incidentsDir, rec.id);
}
