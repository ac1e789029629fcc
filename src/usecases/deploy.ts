// The deploy pipeline: lock -> validation -> (backup) -> pending forward migrations -> install ->
// restart -> 3 consecutive OK health checks -> post-deploy smoke -> journal. Every step is
// journaled (deployments/<env>/deploy-journal.json) so a deploy killed at any step is noticed by
// the next command; events let the TUI show sub-steps and a live tail. Dry-run changes nothing
// and writes the plan to logs/deploy_<env>_<ts>.log and deploy-dryrun.log.
import { join } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import { createBackup } from './backup.js';
import { RefusedError, RolloutError, StepFailedError, UsageError } from '../domain/errors.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { acquireEnvLock, type EnvLock } from '../lock/env-lock.js';
import { waitForHealthy, type TimedHealthCheck } from '../probes/health.js';
import { hostname } from 'node:os';
// The deploy journal is this use case's: a face asks it here whether a deploy was interrupted.
export { interruptedDeploy } from '../steps/deploy-journal.js';
import { describeInterruptedDeploy, interruptedDeploy, newDeployJournal, readDeployJournal, restartStartedAt, stepDone, writeDeployJournal, type DeployJournal, type DeployStep } from '../steps/deploy-journal.js';
import { instanceChanged } from './rollback-verify.js';
import { makeTarget } from '../targets/make-target.js';
import { migrationsFolder, pendingMigrations, runMigrations } from '../steps/migrate.js';
import { runSmoke, type SmokeResult, type SmokeRun } from '../steps/smoke.js';
import { portAnswers } from '../targets/local.js';
import { describeInstance, type RunningInstance, type Target } from '../targets/contract.js';
import type { EngineContext } from '../config/engine-context.js';
import { testPause } from '../domain/test-pause.js';
import { createNotifier, sendAlongside, summarizeDelivery } from '../notify/index.js';
import type { Notification, Notifier } from '../notify/types.js';

export type SubstepStatus = 'running' | 'ok' | 'failed' | 'skipped';

/** What a deploy reports while it runs. */
export type DeployEvent =
  | { type: 'step'; step: DeployStep; status: SubstepStatus; detail?: string }
  | { type: 'line'; line: string }
  | { type: 'health'; check: TimedHealthCheck; streak: number; needed: number }
  | { type: 'smoke'; result: SmokeResult }
  | { type: 'notice'; message: string; nextSteps: string[] };

/** Options of one deploy. */
export interface DeployOptions {
  version?: string;
  backupFirst?: boolean;
  dryRun?: boolean;
  /** The operator confirmed (--yes, or typed the environment name); production needs it. */
  confirmed?: boolean;
  /** Apply pending forward migrations (default true; a runbook with its own migrate step passes false). */
  migrate?: boolean;
  onEvent?: (e: DeployEvent) => void;
  /** The same events in the runner's StepIO shape. */
  onLine?: (line: string) => void;
  onSubstep?: (name: string, status: SubstepStatus, detail?: string) => void;
  signal?: AbortSignal;
  /** The command line recorded as the lock's holder. */
  command?: string;
  /** The notifier for deploy-start/-success/-failure (default: the environment's, as the monitor's). */
  notifier?: Notifier;
  /**
   * Finish the interrupted deploy of the journal (`rollout deploy --resume`, a walk's --resume):
   * steps it finished are not repeated, a restart whose effect the target cannot prove runs again,
   * then the health checks and smoke tests to a verified end. A deploy interrupted before its
   * release was in place is deployed again from the start.
   */
  resume?: boolean;
}

/** One step's outcome. */
export interface DeployStepResult {
  step: DeployStep;
  status: SubstepStatus;
  detail?: string;
  ms: number;
}

/** What a deploy did (or, in dry-run, planned). */
export interface DeployResult {
  ok: boolean;
  env: string;
  version: string;
  from?: string;
  dryRun: boolean;
  steps: DeployStepResult[];
  plan?: string[];
  logPath: string;
  dryRunLog?: string;
  health?: TimedHealthCheck[];
  smoke?: SmokeRun;
  backup?: { file: string; sha256?: string };
  migrations?: string[];
  interrupted?: { message: string; nextSteps: string[] };
  /** Milliseconds from the start of the deploy to the last of the consecutive OK health checks. */
  healthyAfterMs?: number;
  /** When the restart began (clock ms): nothing the old release did is newer than this. */
  restartedAt?: number;
  /** What --resume did with the interrupted deploy (one sentence). */
  resumed?: string;
  url?: string;
}

/** The version a deploy would use: --version, else the runbook's default_version. */
export function deployVersion(ctx: EngineContext, version?: string): string {
  const v = version ?? ctx.target.default_version;
  if (!v) throw new UsageError(`No --version given and ${ctx.runbook.file} has no default_version for ${ctx.env}.`);
  return v;
}


/** Deploy a release to the context's environment. Failures throw RolloutErrors (exit 1/2/3). */
export async function deploy(ctx: EngineContext, opts: DeployOptions = {}): Promise<DeployResult> {
  const started = ctx.clock.now();
  const toResume = opts.resume ? resumableDeploy(ctx, opts.version) : undefined;
  const version = toResume?.to_version ?? deployVersion(ctx, opts.version);
  if (ctx.production && !opts.confirmed && !opts.dryRun) {
    throw new RefusedError(`${toResume ? 'Resuming the deploy of' : 'Deploying'} ${version} to ${ctx.env} needs confirmation: pass --yes (or run it in a terminal and type the environment name).`);
  }
  const target = makeTarget(ctx);
  const log = AuditLog.open(ctx.ws.logsDir, 'deploy', ctx.env, { now: () => ctx.clock.now() });
  const result: DeployResult = { ok: false, env: ctx.env, version, dryRun: Boolean(opts.dryRun), steps: [], logPath: log.path, ...(target.url ? { url: target.url } : {}) };
  const emit = (e: DeployEvent): void => {
    opts.onEvent?.(e);
    if (e.type === 'line') opts.onLine?.(e.line);
    if (e.type === 'step') opts.onSubstep?.(e.step, e.status, e.detail);
  };
  const line = (l: string): void => {
    const text = redactString(l);
    log.info('deploy.output', { line: text });
    emit({ type: 'line', line: text });
  };

  let lock: EnvLock | undefined;
  let journal: DeployJournal | undefined;
  // Deploy notifications: the same routing and dedupe as the monitor's; never holding the deploy up
  // longer than rollback_wait_ms per send, each outcome logged.
  let notifier: Notifier | undefined;
  let announced = false;
  const sends: Promise<unknown>[] = [];
  const notify = async (n: Omit<Notification, 'env' | 'operator' | 'version'>): Promise<void> => {
    if (opts.dryRun) return;
    try {
      notifier ??= opts.notifier ?? createNotifier({ ws: ctx.ws, env: ctx.env, settings: ctx.gates.notifications, log, clock: ctx.clock });
      const full: Notification = { ...n, env: ctx.env, operator: ctx.operator, version, logPath: log.path };
      const r = await sendAlongside(notifier, full, ctx.gates.notifications.rollbackWaitMs, ctx.clock);
      const record = (rep: NonNullable<typeof r.report>): void => {
        const d = summarizeDelivery(rep);
        log.write(d.nobody ? 'warn' : 'info', 'deploy.notify', { type: n.type, line: d.line, outcomes: rep.outcomes.map((o) => `${o.channel}:${o.status}`) });
        emit({ type: 'line', line: `notification ${n.type}: ${d.line}` });
      };
      if (r.report) record(r.report);
      else sends.push(r.done.then(record, () => undefined));
    } catch (e) {
      log.warn('deploy.notify', { type: n.type, error: redactString((e as Error).message) });
    }
  };
  let current: { step: DeployStep; t0: number } | undefined;
  const begin = async (step: DeployStep): Promise<void> => {
    current = { step, t0: ctx.clock.now() };
    log.info('deploy.step', { step, status: 'running' });
    emit({ type: 'step', step, status: 'running' });
    if (journal) {
      journal.step = step;
      journal.steps.push({ step, status: 'started', at: new Date().toISOString() });
      writeDeployJournal(ctx.ws.root, journal);
    }
    await testPause(step);
  };
  const end = (status: SubstepStatus, detail?: string): void => {
    if (!current) return;
    const r: DeployStepResult = { step: current.step, status, ms: ctx.clock.now() - current.t0, ...(detail ? { detail: redactString(detail) } : {}) };
    result.steps.push(r);
    log.write(status === 'failed' ? 'error' : 'info', 'deploy.step', { ...r });
    emit({ type: 'step', step: r.step, status, ...(r.detail ? { detail: r.detail } : {}) });
    if (journal) {
      journal.steps.push({ step: r.step, status: status === 'running' ? 'started' : status, at: new Date().toISOString(), ...(r.detail ? { detail: r.detail } : {}) });
      writeDeployJournal(ctx.ws.root, journal);
    }
    current = undefined;
  };

  const need = Math.max(1, ctx.gates.monitoring.healthOkRequired ?? 3);
  // The verified end of a deploy (and of a resumed one): N consecutive OK health checks, then the post-deploy smoke tests.
  const verifySteps = async (): Promise<void> => {
    const from = result.from;
    await begin('health');
    const t = ctx.target.target;
    const timeoutMs = t.health_timeout_ms;
    const h = await waitForHealthy(ctx.target.health, {
      consecutive: need,
      // The embedded service answers in milliseconds; a real one is given more room between checks.
      intervalMs: ctx.target.health.interval_ms ?? (t.kind === 'local' ? 150 : 1000),
      timeoutMs,
      clock: ctx.clock,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onCheck: (check, streak) => {
        log.write(check.ok ? 'info' : 'warn', 'deploy.health', { ok: check.ok, detail: check.detail, latency_ms: check.latencyMs, streak });
        emit({ type: 'health', check, streak, needed: need });
      },
    });
    result.health = h.checks;
    if (!h.ok) {
      const last = h.checks[h.checks.length - 1];
      throw new StepFailedError(`${version} did not pass ${need} consecutive health checks within ${Math.round(timeoutMs / 100) / 10} s in ${ctx.env} (last: ${last?.detail ?? 'no check'}).`, [
        `Roll back: rollout rollback --env ${ctx.env}${from ? `, or redeploy the previous release: rollout deploy --env ${ctx.env} --version ${from}` : ''}`,
      ]);
    }
    result.healthyAfterMs = ctx.clock.now() - started;
    end('ok', `${need} consecutive OK checks`);

    await begin('smoke');
    const smokeLog = AuditLog.open(ctx.ws.logsDir, 'smoke_test', ctx.env, { now: () => ctx.clock.now(), runId: log.runId });
    try {
      result.smoke = await runSmoke(ctx, { tier: 'all', phase: 'post-deploy', log: smokeLog, onResult: (r) => emit({ type: 'smoke', result: r }) });
    } finally {
      smokeLog.close();
    }
    const failed = result.smoke.results.filter((r) => !r.ok);
    if (failed.length) {
      throw new StepFailedError(`Post-deploy smoke tests failed in ${ctx.env}: ${failed.map((r) => `${r.id} (${r.detail})`).join('; ')}.`, [`Roll back: rollout rollback --env ${ctx.env}`]);
    }
    end('ok', `${result.smoke.results.length} checks passed`);
  };
  const succeed = async (): Promise<DeployResult> => {
    const from = result.from;
    journal!.status = 'done';
    writeDeployJournal(ctx.ws.root, journal!);
    result.ok = true;
    log.info('deploy.done', { version, from, healthy_after_ms: result.healthyAfterMs, ...(result.resumed ? { resumed: result.resumed } : {}) });
    await notify({ type: 'deploy-success', message: `${result.resumed ? 'Finished the interrupted deploy of' : 'Deployed'} ${version} to ${ctx.env}${from ? ` (was ${from})` : ''}: ${need} consecutive OK health checks and ${result.smoke?.results.length ?? 0} smoke checks passed.` });
    return result;
  };

  try {
    log.info('deploy.start', { version, operator: ctx.operator, dry_run: Boolean(opts.dryRun), backup_first: Boolean(opts.backupFirst), target: target.kind });
    if (!opts.dryRun) lock = await acquireEnvLock(ctx.ws.locksDir, ctx.env, { operator: ctx.operator, command: opts.command ?? `rollout deploy --env ${ctx.env} --version ${version}` });

    const pending = interruptedDeploy(ctx.ws.root, ctx.env);
    // Under the lock, the journal is read again: another resume may have finished it meanwhile.
    if (opts.resume && pending?.id !== toResume?.id) throw new UsageError(nothingToResume(ctx));
    if (pending) {
      const st = await target.status().catch(() => undefined);
      const notice = describeInterruptedDeploy(pending, { ...(st?.deployedVersion ? { deployed: st.deployedVersion } : {}), ...(st?.running && st.version ? { running: st.version } : {}) });
      result.interrupted = notice;
      log.warn('deploy.interrupted_found', { journal: pending, message: notice.message });
      emit({ type: 'notice', message: notice.message, nextSteps: notice.nextSteps });
      if (!opts.dryRun) line(pending.to_version === version ? `resuming the interrupted deploy of ${version}${opts.resume && !stepDone(pending, 'install') ? ` (it stopped before ${version} was in place: deploying it again from the start)` : ''}` : `the interrupted deploy of ${pending.to_version} is superseded by this deploy of ${version}`);
    }
    // Its release was in place: finish from the restart, proving what the interrupted run did.
    const resuming = opts.resume && pending && stepDone(pending, 'install') ? pending : undefined;

    if (resuming) {
      if (pending?.from_version) result.from = pending.from_version;
      if (opts.dryRun) {
        result.plan = await resumePlan(ctx, target, resuming);
        const dry = join(ctx.ws.root, 'deploy-dryrun.log');
        writeFileAtomic(dry, `${result.plan.join('\n')}\n`);
        result.dryRunLog = dry;
        for (const l of result.plan) line(l);
        result.ok = true;
        return result;
      }
      journal = resuming;
      journal.pid = process.pid;
      journal.host = hostname();
      journal.resumed_at = [...(journal.resumed_at ?? []), new Date().toISOString()];
      writeDeployJournal(ctx.ws.root, journal);
      announced = true;
      log.info('deploy.resume', { journal: journal.id, step: journal.step, to_version: version, from_version: journal.from_version });
      for (const s of ['validate', 'backup', 'migrate', 'install'] as const) {
        const last = [...resuming.steps].reverse().find((x) => x.step === s && x.status !== 'started');
        const r: DeployStepResult = { step: s, status: 'skipped', ms: 0, detail: `done by the interrupted deploy${last?.detail ? ` (${last.detail})` : ''}` };
        result.steps.push(r);
        emit({ type: 'step', step: s, status: 'skipped', detail: r.detail });
      }
      await begin('restart');
      const proof = await restartProof(target, resuming, version);
      if (proof.proven) {
        result.restartedAt = restartStartedAt(resuming) ?? ctx.clock.now();
        result.resumed = `the interrupted deploy had restarted ${ctx.env}: ${proof.how}; not restarted again`;
        end('skipped', result.resumed);
      } else {
        result.restartedAt = ctx.clock.now();
        result.resumed = `the restart of the interrupted deploy is not proven (${proof.how}); restarted again`;
        line(result.resumed);
        journal.restart_from = proof.now ?? null;
        writeDeployJournal(ctx.ws.root, journal);
        await target.restart(line, version);
        end('ok', 'run again: its effect could not be proven');
      }
      await verifySteps();
      return await succeed();
    }

    // Validation: config (loaded already), version, target.
    await begin('validate');
    if (target.reachable) await target.reachable();
    const from = await target.currentVersion();
    if (from) result.from = from;
    const available = await target.availableVersions();
    if (target.kind === 'local' || available.length > 0) {
      if (!available.includes(version)) {
        // Suggest a plain release (no pre-release tag such as -failing or -slow): those are how
        // a known-bad build is named, and the suggestion must never be one.
        const latest = available.filter((v) => !v.includes('-')).pop();
        throw new UsageError(`Unknown version "${version}" for ${ctx.env}: available are ${available.join(', ') || 'none'}.`, [
          `nothing was changed${from ? ` (${from} stays deployed)` : ''}${latest ? `; deploy one of those, e.g. rollout deploy --env ${ctx.env} --version ${latest}` : ''}`,
        ]);
      }
    }
    if (target.kind === 'local') {
      const st = await target.status();
      const port = ctx.target.target.kind === 'local' ? ctx.target.target.port : 0;
      if (!st.running && (await portAnswers(port))) throw new StepFailedError(`Port ${port} on 127.0.0.1 answers, but not from the ${ctx.env} service, so the new release could not listen there.`, ['Stop that program, or give the environment another port in the runbook (target.port).']);
    }
    end('ok', `${version} is available${from ? `; ${from} is deployed now` : '; nothing deployed yet'}`);

    if (opts.dryRun) {
      result.plan = planLines(ctx, target, version, from, opts);
      for (const l of result.plan) log.info('deploy.plan', { line: l });
      const dry = join(ctx.ws.root, 'deploy-dryrun.log');
      writeFileAtomic(dry, `${result.plan.join('\n')}\n`);
      result.dryRunLog = dry;
      for (const l of result.plan) line(l);
      result.ok = true;
      log.info('deploy.dry_run_done', { steps: result.plan.length });
      return result;
    }

    announced = true;
    await notify({ type: 'deploy-start', message: `Deploying ${version} to ${ctx.env}${from ? ` (replacing ${from})` : ''}; operator ${ctx.operator}.` });
    journal = newDeployJournal(ctx.env, version, from, ctx.operator);
    journal.steps.push({ step: 'validate', status: 'ok', at: new Date().toISOString() });
    writeDeployJournal(ctx.ws.root, journal);

    await begin('backup');
    if (opts.backupFirst) {
      const b = await createBackup(ctx, { command: `rollout deploy --env ${ctx.env} --backup-first` });
      result.backup = { file: b.file, ...(b.sha256 ? { sha256: b.sha256 } : {}) };
      end('ok', `${b.file}${b.sha256 ? ` (sha256 ${b.sha256.slice(0, 12)}…)` : ''}`);
    } else end('skipped', 'not asked (--backup-first)');

    await begin('migrate');
    if (opts.migrate === false || !migrationsFolder(ctx)) end('skipped', opts.migrate === false ? 'left to the runbook\'s migrate step' : 'no migrations folder for this environment');
    else {
      const m = await runMigrations(ctx, { direction: 'forward', onLine: line });
      result.migrations = m.ran;
      end('ok', m.ran.length ? `applied ${m.ran.join(', ')}` : 'nothing pending');
    }

    await begin('install');
    await target.install(version, line, from);
    end('ok', `${version} in place`);

    await begin('restart');
    result.restartedAt = ctx.clock.now();
    // What ran before: a resume proves the restart happened by a changed instance.
    journal.restart_from = (await target.running().catch(() => undefined)) ?? null;
    writeDeployJournal(ctx.ws.root, journal);
    if (target.kind === 'local') {
      // stop + start (what restart() does), with a pause point between for the kill -9 tests.
      await target.stop(line);
      await testPause('restart:stopped');
      await target.start(line);
    } else await target.restart(line, version);
    end('ok');
    await verifySteps();
    return await succeed();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    end('failed', msg);
    if (journal) {
      journal.status = 'failed';
      journal.error = redactString(msg);
      writeDeployJournal(ctx.ws.root, journal);
    }
    log.error('deploy.failed', { error: msg, exit_code: e instanceof RolloutError ? e.exitCode : 1 });
    // Only a deploy that began changing things is a failed deploy to tell the team about.
    if (announced) await notify({ type: 'deploy-failure', message: redactString(`Deploying ${version} to ${ctx.env} failed: ${msg}`) });
    throw e;
  } finally {
    await lock?.release();
    // Sends still under way get a bounded moment, so that their outcome reaches the log.
    if (sends.length) {
      const stop = new AbortController();
      await Promise.race([Promise.allSettled(sends), ctx.clock.sleep(ctx.gates.notifications.timeoutMs, stop.signal)]);
      stop.abort();
    }
    log.close();
  }
}

/** The dry-run plan, step by step, with the commands and actions it would run. */
function planLines(ctx: EngineContext, target: Target, version: string, from: string | undefined, opts: DeployOptions): string[] {
  const out = [`Deploy plan for ${ctx.env}: ${from ?? '(nothing)'} -> ${version} (dry run: nothing was changed)`, `operator: ${ctx.operator}; target: ${target.kind}; runbook: ${ctx.runbook.file}`];
  let n = 0;
  const step = (s: string): void => {
    out.push(`${++n}. ${s}`);
  };
  step(`lock the ${ctx.env} environment (.rollout/locks/${ctx.env}.lock)`);
  step(`validate: config and runbook valid, ${version} available, target reachable — ok`);
  if (opts.backupFirst) step(`backup: SHA256-verified backup of ${target.stateFiles().join(', ') || '(the runbook backup.include)'} into backups/dhash_${ctx.env}_<ts>.zip with its .sha256`);
  else step('backup: skipped (no --backup-first)');
  const pending = opts.migrate === false ? [] : pendingMigrations(ctx);
  step(pending.length ? `migrate forward: ${pending.join(', ')} (rollout migrate --env ${ctx.env} --type forward)` : 'migrate: nothing pending');
  for (const a of target.plan(version)) step(`${a.step}: ${a.action}`);
  const h = ctx.target.health;
  step(`health: wait for ${ctx.gates.monitoring.healthOkRequired ?? 3} consecutive OK checks of ${h.kind === 'http' ? `GET ${h.url}${h.json_field ? ` (${h.json_field} = ${String(h.expect)})` : ''}` : `\`${h.command}\``} within ${ctx.target.target.health_timeout_ms} ms`);
  const checks = ctx.target.smoke.filter((c) => !c.phases || c.phases.includes('post-deploy'));
  step(`smoke (post-deploy, all tiers): ${checks.map((c) => c.id).join(', ') || 'no checks in the runbook'}`);
  step(`journal: deployments/${ctx.env}/deploy-journal.json marked done; then the T+60 monitor unless --no-monitor`);
  return out;
}


/** The interrupted deploy that --resume would finish; a usage error when there is none (or --version names another). */
function resumableDeploy(ctx: EngineContext, version: string | undefined): DeployJournal {
  const j = interruptedDeploy(ctx.ws.root, ctx.env);
  if (!j) throw new UsageError(nothingToResume(ctx));
  if (version && version !== j.to_version) throw new UsageError(`The interrupted deploy of ${ctx.env} was of ${j.to_version}, not ${version}: resume it without --version, or deploy ${version} from the start without --resume.`);
  return j;
}

function nothingToResume(ctx: EngineContext): string {
  const j = readDeployJournal(ctx.ws.root, ctx.env);
  const why = !j ? 'no deploy journal' : j.status === 'in-progress' ? `the deploy of ${j.to_version} is still running (pid ${j.pid} on ${j.host})` : `the last deploy (${j.to_version}) is ${j.status === 'done' ? 'done' : j.status}`;
  return `Nothing to resume: no interrupted deploy of ${ctx.env} (${why}).`;
}

/**
 * Did the interrupted deploy's restart happen? Proven only by the target itself: it runs the new
 * version in an instance other than the one that ran before the restart (journaled then).
 */
async function restartProof(target: Target, j: DeployJournal, version: string): Promise<{ proven: boolean; how: string; now?: RunningInstance }> {
  const now = await target.running().catch(() => undefined);
  if (!now) return { proven: false, how: 'nothing answers on the target' };
  if (now.version !== version) return { proven: false, how: `the target runs ${describeInstance(now)}, not ${version}` };
  if (j.restart_from === undefined) {
    // A journal from before restart_from was recorded: a changed version is the only proof.
    return j.from_version && j.from_version !== version ? { proven: true, how: `${describeInstance(now)} runs (was ${j.from_version})`, now } : { proven: false, how: `${version} ran before the deploy too, so the running one may be the old process`, now };
  }
  const c = instanceChanged(j.restart_from ?? undefined, now);
  return c.changed === true ? { proven: true, how: `${describeInstance(now)} runs (${c.how})`, now } : { proven: false, how: c.how, now };
}

/** What `deploy --resume --dry-run` would do. */
async function resumePlan(ctx: EngineContext, target: Target, j: DeployJournal): Promise<string[]> {
  const proof = await restartProof(target, j, j.to_version);
  return [
    `Resume plan for ${ctx.env}: the interrupted deploy of ${j.to_version} (stopped at "${j.step}"; dry run: nothing was changed)`,
    `1. validate, backup, migrate, install: done by the interrupted deploy, not repeated`,
    `2. restart: ${proof.proven ? `not repeated (${proof.how})` : `run again (${proof.how})`}`,
    `3. health: wait for ${Math.max(1, ctx.gates.monitoring.healthOkRequired ?? 3)} consecutive OK checks`,
    `4. smoke (post-deploy, all tiers): ${ctx.target.smoke.filter((c) => !c.phases || c.phases.includes('post-deploy')).map((c) => c.id).join(', ') || 'no checks in the runbook'}`,
    `5. journal: deployments/${ctx.env}/deploy-journal.json marked done`,
  ];
}
