// The deploy use case: one list of stages (./deploy/stages.ts: lock -> validate -> (backup) ->
// pending forward migrations -> install -> restart -> 3 consecutive OK health checks ->
// post-deploy smoke -> journal). A real run walks the list; `--dry-run` plans the same list and
// changes nothing, writing the plan to logs/deploy_<env>_<ts>.log and deploy-dryrun.log. Every
// step is journaled (deployments/<env>/deploy-journal.json) so a deploy killed at any step is
// noticed by the next command; events let the TUI show sub-steps and a live tail.
import { join } from 'node:path';
import { hostname } from 'node:os';
import { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import { RefusedError, RolloutError, UsageError } from '../domain/errors.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
// The deploy journal is this use case's: a face asks it here whether a deploy was interrupted.
export { interruptedDeploy } from '../steps/deploy-journal.js';
import { describeInterruptedDeploy, interruptedDeploy, readDeployJournal, stepDone, writeDeployJournal, type DeployJournal, type DeployStep } from '../steps/deploy-journal.js';
import { DEPLOY_STEPS } from '../steps/deploy-journal.js';
import { instanceChanged } from './rollback-verify.js';
import { makeTarget } from '../targets/make-target.js';
import { describeInstance, type Target } from '../targets/contract.js';
import type { EngineContext } from '../config/engine-context.js';
import { testPause } from '../domain/test-pause.js';
import { createNotifier, sendAlongside, summarizeDelivery } from '../notify/index.js';
import type { Notification, Notifier } from '../notify/types.js';
import { planStages, runStages } from './stages.js';
import { STAGES, type DeployRun, type RestartProof } from './deploy/stages.js';
import type { DeployEvent, DeployOptions, DeployResult, DeployStageName, DeployStepResult } from './deploy/types.js';

export { DEPLOY_STAGES, type DeployEvent, type DeployOptions, type DeployResult, type DeployStageName, type DeployStepResult } from './deploy/types.js';

/** The version a deploy would use: --version, else the runbook's default_version. */
export function deployVersion(ctx: EngineContext, version?: string): string {
  const v = version ?? ctx.target.default_version;
  if (!v) throw new UsageError(`No --version given and ${ctx.runbook.file} has no default_version for ${ctx.env}.`);
  return v;
}

const isJournaled = (name: DeployStageName): name is DeployStep => (DEPLOY_STEPS as readonly string[]).includes(name);

/** Deploy a release to the context's environment (or plan it: opts.dryRun). Failures throw RolloutErrors (exit 1/2/3). */
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

  // Deploy notifications: the same routing and dedupe as the monitor's; never holding the deploy up
  // longer than rollback_wait_ms per send, each outcome logged.
  let notifier: Notifier | undefined;
  const sends: Promise<unknown>[] = [];
  const notify = async (n: Omit<Notification, 'env' | 'operator' | 'version'>): Promise<void> => {
    if (opts.dryRun) return;
    try {
      notifier ??= opts.notifier ?? createNotifier({ ws: ctx.ws, env: ctx.env, settings: ctx.gates.notifications, log, clock: ctx.clock });
      const full: Notification = { ...n, env: ctx.env, operator: ctx.operator, version, logPath: log.path };
      const sent = await sendAlongside(notifier, full, ctx.gates.notifications.rollbackWaitMs, ctx.clock);
      const record = (rep: NonNullable<typeof sent.report>): void => {
        const d = summarizeDelivery(rep);
        log.write(d.nobody ? 'warn' : 'info', 'deploy.notify', { type: n.type, line: d.line, outcomes: rep.outcomes.map((o) => `${o.channel}:${o.status}`) });
        emit({ type: 'line', line: `notification ${n.type}: ${d.line}` });
      };
      if (sent.report) record(sent.report);
      else sends.push(sent.done.then(record, () => undefined));
    } catch (e) {
      log.warn('deploy.notify', { type: n.type, error: redactString((e as Error).message) });
    }
  };
  let current: { step: DeployStep; t0: number } | undefined;

  const r: DeployRun = {
    ctx,
    opts,
    target,
    version,
    dryRun: Boolean(opts.dryRun),
    log,
    result,
    need: Math.max(1, ctx.gates.monitoring.healthOkRequired ?? 3),
    started,
    announced: false,
    emit,
    line,
    notify,
    restartProof: (j) => restartProof(target, j, version),
    async begin(step) {
      current = { step, t0: ctx.clock.now() };
      log.info('deploy.step', { step, status: 'running' });
      emit({ type: 'step', step, status: 'running' });
      if (r.journal) {
        r.journal.step = step;
        r.journal.steps.push({ step, status: 'started', at: new Date().toISOString() });
        writeDeployJournal(ctx.ws.root, r.journal);
      }
      await testPause(step);
    },
    end(status, detail) {
      if (!current) return;
      const s: DeployStepResult = { step: current.step, status, ms: ctx.clock.now() - current.t0, ...(detail ? { detail: redactString(detail) } : {}) };
      result.steps.push(s);
      log.write(status === 'failed' ? 'error' : 'info', 'deploy.step', { ...s });
      emit({ type: 'step', step: s.step, status, ...(s.detail ? { detail: s.detail } : {}) });
      if (r.journal) {
        r.journal.steps.push({ step: s.step, status: status === 'running' ? 'started' : status, at: new Date().toISOString(), ...(s.detail ? { detail: s.detail } : {}) });
        writeDeployJournal(ctx.ws.root, r.journal);
      }
      current = undefined;
    },
    async findInterrupted() {
      const pending = interruptedDeploy(ctx.ws.root, ctx.env);
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
      r.resuming = opts.resume && pending && stepDone(pending, 'install') ? pending : undefined;
      if (r.resuming?.from_version) result.from = r.resuming.from_version;
    },
    takeOver(j: DeployJournal) {
      r.journal = j;
      j.pid = process.pid;
      j.host = hostname();
      j.resumed_at = [...(j.resumed_at ?? []), new Date().toISOString()];
      writeDeployJournal(ctx.ws.root, j);
      r.announced = true;
      log.info('deploy.resume', { journal: j.id, step: j.step, to_version: version, from_version: j.from_version });
    },
  };

  try {
    log.info('deploy.start', { version, operator: ctx.operator, dry_run: Boolean(opts.dryRun), backup_first: Boolean(opts.backupFirst), target: target.kind });
    if (opts.dryRun) return await planDeploy(r);
    let failure: unknown;
    await runStages(STAGES, r, {
      async skipped(name, why) {
        // A journaled step says so as it always has: begun, then skipped with the reason.
        if (isJournaled(name)) {
          await r.begin(name);
          r.end('skipped', why);
        }
        emit({ type: 'stage', stage: name, status: 'skipped', detail: redactString(why) });
      },
      started: (name) => emit({ type: 'stage', stage: name, status: 'running' }),
      ran: (name) => emit({ type: 'stage', stage: name, status: 'ok' }),
      failed(name, e) {
        failure = e;
        emit({ type: 'stage', stage: name, status: 'failed', detail: redactString(e instanceof Error ? e.message : String(e)) });
      },
    });
    if (failure !== undefined) throw failure;
    return result;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    r.end('failed', msg);
    if (r.journal) {
      r.journal.status = 'failed';
      r.journal.error = redactString(msg);
      writeDeployJournal(ctx.ws.root, r.journal);
    }
    log.error('deploy.failed', { error: msg, exit_code: e instanceof RolloutError ? e.exitCode : 1 });
    // Only a deploy that began changing things is a failed deploy to tell the team about.
    if (r.announced) await notify({ type: 'deploy-failure', message: redactString(`Deploying ${version} to ${ctx.env} failed: ${msg}`) });
    throw e;
  } finally {
    await r.lock?.release();
    // Sends still under way get a bounded moment, so that their outcome reaches the log.
    if (sends.length) {
      const stop = new AbortController();
      await Promise.race([Promise.allSettled(sends), ctx.clock.sleep(ctx.gates.notifications.timeoutMs, stop.signal)]);
      stop.abort();
    }
    log.close();
  }
}

/**
 * --dry-run (and --resume --dry-run): plan every stage of the list the real run walks, with the
 * same skip() answers (a resume's skipped stages and a restart the target proves), and change nothing.
 */
async function planDeploy(r: DeployRun): Promise<DeployResult> {
  const { ctx, target, version, result, log } = r;
  await r.findInterrupted();
  const planned = await planStages(STAGES, r, r);
  for (const s of planned) r.emit({ type: 'stage', stage: s.name, status: s.status, detail: redactString(s.detail) });
  const j = r.resuming;
  const lines = [
    j ? `Resume plan for ${ctx.env}: the interrupted deploy of ${j.to_version} (stopped at "${j.step}"; dry run: nothing was changed)` : `Deploy plan for ${ctx.env}: ${result.from ?? '(nothing)'} -> ${version} (dry run: nothing was changed)`,
    `operator: ${ctx.operator}; target: ${target.kind}; runbook: ${ctx.runbook.file}`,
  ];
  let n = 0;
  for (const s of planned) for (const l of s.status === 'skipped' ? [`${s.name}: skipped — ${s.detail}`] : [s.detail, ...(s.more ?? [])]) lines.push(`${++n}. ${l}`);
  result.plan = lines.map((l) => redactString(l));
  for (const l of result.plan) log.info('deploy.plan', { line: l });
  const dry = join(ctx.ws.root, 'deploy-dryrun.log');
  writeFileAtomic(dry, `${result.plan.join('\n')}\n`);
  result.dryRunLog = dry;
  for (const l of result.plan) r.line(l);
  result.ok = true;
  log.info('deploy.dry_run_done', { steps: planned.length });
  return result;
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
async function restartProof(target: Target, j: DeployJournal, version: string): Promise<RestartProof> {
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
