// The deploy as one list of stages (lock -> validate -> backup -> migrate -> install -> restart ->
// health -> smoke -> journal), each with plan (what `rollout deploy --dry-run` prints, reading
// only) and run (what the real deploy does). The dry run and the real run walk this same list
// (../stages.ts), and ask each stage the same skip() question: a resumed deploy skips what the
// interrupted one's journal or the target proves done, so `--resume --dry-run` is that same list too.
import { AuditLog } from '../../audit/logger.js';
import type { EngineContext } from '../../config/engine-context.js';
import { StepFailedError, UsageError } from '../../domain/errors.js';
import { testPause } from '../../domain/test-pause.js';
import { acquireEnvLock, type EnvLock } from '../../lock/env-lock.js';
import type { Notification } from '../../notify/types.js';
import { waitForHealthy } from '../../probes/health.js';
import { newDeployJournal, restartStartedAt, writeDeployJournal, type DeployJournal, type DeployStep } from '../../steps/deploy-journal.js';
import { migrationsFolder, pendingMigrations, runMigrations } from '../../steps/migrate.js';
import { runSmoke } from '../../steps/smoke.js';
import type { RunningInstance, Target } from '../../targets/contract.js';
import { LocalTarget, portAnswers } from '../../targets/local.js';
import type { StageDef } from '../stages.js';
import type { DeployEvent, DeployOptions, DeployResult, DeployStageName, SubstepStatus } from './types.js';

/** Whether the interrupted deploy's restart happened, as the target shows it. */
export interface RestartProof {
  proven: boolean;
  how: string;
  now?: RunningInstance;
}

/** Everything the stages of one deploy (or its dry run) read and write. */
export interface DeployRun {
  readonly ctx: EngineContext;
  readonly opts: DeployOptions;
  readonly target: Target;
  readonly version: string;
  readonly dryRun: boolean;
  readonly log: AuditLog;
  readonly result: DeployResult;
  /** Consecutive OK health checks needed. */
  readonly need: number;
  /** Clock ms when the deploy began. */
  readonly started: number;
  /** The interrupted deploy this one finishes from its restart (its release was in place). */
  resuming?: DeployJournal;
  /** The target's answer on the interrupted deploy's restart (asked once, by the restart stage). */
  proof?: RestartProof;
  lock?: EnvLock;
  journal?: DeployJournal;
  /** The deploy began changing things: a failure is told to the team. */
  announced: boolean;
  /** Read the journal of an interrupted deploy (under the lock in a real run): notice, and what a resume finishes. */
  findInterrupted(): Promise<void>;
  /** Take the interrupted deploy's journal over (a resume). */
  takeOver(j: DeployJournal): void;
  /** Whether the interrupted deploy's restart happened, read from the target. */
  restartProof(j: DeployJournal): Promise<RestartProof>;
  emit(e: DeployEvent): void;
  line(l: string): void;
  /** A journaled step begins (journal entry, `step` event, the test pause point). */
  begin(step: DeployStep): Promise<void>;
  end(status: SubstepStatus, detail?: string): void;
  notify(n: Omit<Notification, 'env' | 'operator' | 'version'>): Promise<void>;
}

/** One stage of the deploy (the shape every staged use case shares: ../stages.ts). */
export type DeployStageDef = StageDef<DeployStageName, DeployRun, DeployRun>;

/** A stage that a resume skips: the interrupted deploy's journal says it finished. */
function doneByInterrupted(r: DeployRun, step: DeployStep): string | undefined {
  if (!r.resuming) return undefined;
  const steps = [...r.resuming.steps].reverse();
  const last = steps.find((x) => x.step === step && x.status === 'ok') ?? steps.find((x) => x.step === step && x.status !== 'started');
  return `done by the interrupted deploy${last?.detail ? ` (${last.detail})` : ''}`;
}

/** What the target would do for a step of the deploy, one line per action. */
function targetActions(r: DeployRun, step: 'install' | 'restart'): string[] {
  return r.target.plan(r.version).filter((a) => a.step === step).map((a) => `${step}: ${a.action}`);
}

/** Config (loaded already), the version and the target, read only; the step's detail. */
async function validateTarget(r: DeployRun): Promise<string> {
  const { ctx, target, version } = r;
  if (target.reachable) await target.reachable();
  const from = await target.currentVersion();
  if (from) r.result.from = from;
  // The local target says whether the release is there without sorting its list (the sort's ICU
  // collator cost ~10 ms to set up); the sorted list is built to name the alternatives when not.
  const available = target instanceof LocalTarget && target.hasRelease(version) ? [version] : await target.availableVersions();
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
  if (target instanceof LocalTarget) {
    // Only whether our service runs (its pid file names a live process) is asked here: the full
    // status() would also probe /health and /version, two requests whose answers nothing reads.
    const running = target.runningPid() !== undefined;
    const port = ctx.target.target.kind === 'local' ? ctx.target.target.port : 0;
    if (!running && (await portAnswers(port))) throw new StepFailedError(`Port ${port} on 127.0.0.1 answers, but not from the ${ctx.env} service, so the new release could not listen there.`, ['Stop that program, or give the environment another port in the runbook (target.port).']);
  }
  return `${version} is available${from ? `; ${from} is deployed now` : '; nothing deployed yet'}`;
}

/** The post-deploy smoke checks of the runbook. */
const postDeployChecks = (r: DeployRun): string => r.ctx.target.smoke.filter((c) => !c.phases || c.phases.includes('post-deploy')).map((c) => c.id).join(', ') || 'no checks in the runbook';

/** The deploy, stage by stage. */
export const STAGES: readonly DeployStageDef[] = [
  {
    name: 'lock',
    plan: (r) => ({ detail: `lock the ${r.ctx.env} environment (.rollout/locks/${r.ctx.env}.lock)` }),
    async run(r) {
      const { ctx, opts, version } = r;
      r.lock = await acquireEnvLock(ctx.ws.locksDir, ctx.env, { operator: ctx.operator, command: opts.command ?? `rollout deploy --env ${ctx.env} --version ${version}` });
      // Under the lock, the journal is read again: another resume may have finished it meanwhile.
      await r.findInterrupted();
      if (r.resuming) r.takeOver(r.resuming);
    },
  },
  {
    name: 'validate',
    skip: (r) => doneByInterrupted(r, 'validate'),
    async plan(r) {
      // The dry run makes the same read-only checks, so that it fails where the deploy would.
      await r.begin('validate');
      r.end('ok', await validateTarget(r));
      return { detail: `validate: config and runbook valid, ${r.version} available, target reachable — ok`, status: 'ok' };
    },
    async run(r) {
      const { ctx, version } = r;
      await r.begin('validate');
      r.end('ok', await validateTarget(r));
      // From here on the deploy changes things: the team is told, and every step is journaled.
      const from = r.result.from;
      r.announced = true;
      await r.notify({ type: 'deploy-start', message: `Deploying ${version} to ${ctx.env}${from ? ` (replacing ${from})` : ''}; operator ${ctx.operator}.` });
      r.journal = newDeployJournal(ctx.env, version, from, ctx.operator);
      r.journal.steps.push({ step: 'validate', status: 'ok', at: new Date().toISOString() });
      writeDeployJournal(ctx.ws.root, r.journal);
    },
  },
  {
    name: 'backup',
    skip: (r) => doneByInterrupted(r, 'backup') ?? (r.opts.backupFirst ? undefined : 'not asked (--backup-first)'),
    plan: (r) => ({ detail: `backup: SHA256-verified backup of ${r.target.stateFiles().join(', ') || '(the runbook backup.include)'} into backups/dhash_${r.ctx.env}_<ts>.zip with its .sha256` }),
    async run(r) {
      await r.begin('backup');
      // Loaded only for --backup-first: the backup writer and its zip libraries are ~0.2 MB that
      // every other deploy would compile for nothing.
      const { createBackup } = await import('../backup.js');
      const b = await createBackup(r.ctx, { command: `rollout deploy --env ${r.ctx.env} --backup-first` });
      r.result.backup = { file: b.file, ...(b.sha256 ? { sha256: b.sha256 } : {}) };
      r.end('ok', `${b.file}${b.sha256 ? ` (sha256 ${b.sha256.slice(0, 12)}…)` : ''}`);
    },
  },
  {
    name: 'migrate',
    skip: (r) => doneByInterrupted(r, 'migrate') ?? (r.opts.migrate === false ? "left to the runbook's migrate step" : !migrationsFolder(r.ctx) ? 'no migrations folder for this environment' : undefined),
    plan: async (r) => {
      const pending = await pendingMigrations(r.ctx);
      return { detail: pending.length ? `migrate forward: ${pending.join(', ')} (rollout migrate --env ${r.ctx.env} --type forward)` : 'migrate: nothing pending' };
    },
    async run(r) {
      await r.begin('migrate');
      const m = await runMigrations(r.ctx, { direction: 'forward', onLine: (l) => r.line(l) });
      r.result.migrations = m.ran;
      r.end('ok', m.ran.length ? `applied ${m.ran.join(', ')}` : 'nothing pending');
    },
  },
  {
    name: 'install',
    skip: (r) => doneByInterrupted(r, 'install'),
    plan: (r) => {
      const [first, ...more] = targetActions(r, 'install');
      return { detail: first ?? `install: put ${r.version} in place on the ${r.target.kind} target`, more };
    },
    async run(r) {
      await r.begin('install');
      await r.target.install(r.version, (l) => r.line(l), r.result.from);
      r.end('ok', `${r.version} in place`);
    },
  },
  {
    name: 'restart',
    // Proven only by the target itself: it runs the new version in another instance than before.
    async skip(r) {
      if (!r.resuming) return undefined;
      r.proof ??= await r.restartProof(r.resuming);
      if (!r.proof.proven) return undefined;
      const why = `the interrupted deploy had restarted ${r.ctx.env}: ${r.proof.how}; not restarted again`;
      if (!r.dryRun) {
        r.result.restartedAt = restartStartedAt(r.resuming) ?? r.ctx.clock.now();
        r.result.resumed = why;
      }
      return why;
    },
    plan: (r) => {
      const lines = [...(r.resuming ? [`restart: run again, the interrupted deploy's restart is not proven (${r.proof?.how ?? 'not asked'})`] : []), ...targetActions(r, 'restart')];
      const [first, ...more] = lines;
      return { detail: first ?? `restart: restart the ${r.ctx.env} service (${r.target.kind} target)`, more };
    },
    async run(r) {
      const { ctx, target, version, result } = r;
      const line = (l: string): void => r.line(l);
      await r.begin('restart');
      result.restartedAt = ctx.clock.now();
      if (r.resuming) {
        result.resumed = `the restart of the interrupted deploy is not proven (${r.proof?.how ?? 'not asked'}); restarted again`;
        line(result.resumed);
        r.journal!.restart_from = r.proof?.now ?? null;
        writeDeployJournal(ctx.ws.root, r.journal!);
        await target.restart(line, version);
        r.end('ok', 'run again: its effect could not be proven');
        return;
      }
      // What ran before: a resume proves the restart happened by a changed instance.
      r.journal!.restart_from = (await target.running().catch(() => undefined)) ?? null;
      writeDeployJournal(ctx.ws.root, r.journal!);
      if (target.kind === 'local') {
        // stop + start (what restart() does), with a pause point between for the kill -9 tests.
        await target.stop(line);
        await testPause('restart:stopped');
        await target.start(line);
      } else await target.restart(line, version);
      r.end('ok');
    },
  },
  {
    name: 'health',
    plan: (r) => {
      const h = r.ctx.target.health;
      return { detail: `health: wait for ${r.need} consecutive OK checks of ${h.kind === 'http' ? `GET ${h.url}${h.json_field ? ` (${h.json_field} = ${String(h.expect)})` : ''}` : `\`${h.command}\``} within ${r.ctx.target.target.health_timeout_ms} ms` };
    },
    async run(r) {
      const { ctx, opts, version, need, result } = r;
      const from = result.from;
      await r.begin('health');
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
          r.log.write(check.ok ? 'info' : 'warn', 'deploy.health', { ok: check.ok, detail: check.detail, latency_ms: check.latencyMs, streak });
          r.emit({ type: 'health', check, streak, needed: need });
        },
      });
      result.health = h.checks;
      if (!h.ok) {
        const last = h.checks[h.checks.length - 1];
        throw new StepFailedError(`${version} did not pass ${need} consecutive health checks within ${Math.round(timeoutMs / 100) / 10} s in ${ctx.env} (last: ${last?.detail ?? 'no check'}).`, [
          `Roll back: rollout rollback --env ${ctx.env}${from ? `, or redeploy the previous release: rollout deploy --env ${ctx.env} --version ${from}` : ''}`,
        ]);
      }
      result.healthyAfterMs = ctx.clock.now() - r.started;
      r.end('ok', `${need} consecutive OK checks`);
    },
  },
  {
    name: 'smoke',
    plan: (r) => ({ detail: `smoke (post-deploy, all tiers): ${postDeployChecks(r)}` }),
    async run(r) {
      const { ctx, result } = r;
      await r.begin('smoke');
      const smokeLog = AuditLog.open(ctx.ws.logsDir, 'smoke_test', ctx.env, { now: () => ctx.clock.now(), runId: r.log.runId });
      try {
        result.smoke = await runSmoke(ctx, { tier: 'all', phase: 'post-deploy', log: smokeLog, onResult: (x) => r.emit({ type: 'smoke', result: x }) });
      } finally {
        smokeLog.close();
      }
      const failed = result.smoke.results.filter((x) => !x.ok);
      if (failed.length) {
        throw new StepFailedError(`Post-deploy smoke tests failed in ${ctx.env}: ${failed.map((x) => `${x.id} (${x.detail})`).join('; ')}.`, [`Roll back: rollout rollback --env ${ctx.env}`]);
      }
      r.end('ok', `${result.smoke.results.length} checks passed`);
    },
  },
  {
    name: 'journal',
    plan: (r) => ({ detail: `journal: deployments/${r.ctx.env}/deploy-journal.json marked done and deploy-success sent; then the T+60 monitor unless --no-monitor` }),
    async run(r) {
      const { ctx, version, result } = r;
      const from = result.from;
      r.journal!.status = 'done';
      writeDeployJournal(ctx.ws.root, r.journal!);
      result.ok = true;
      r.log.info('deploy.done', { version, from, healthy_after_ms: result.healthyAfterMs, ...(result.resumed ? { resumed: result.resumed } : {}) });
      await r.notify({ type: 'deploy-success', message: `${result.resumed ? 'Finished the interrupted deploy of' : 'Deployed'} ${version} to ${ctx.env}${from ? ` (was ${from})` : ''}: ${r.need} consecutive OK health checks and ${result.smoke?.results.length ?? 0} smoke checks passed.` });
    },
  },
];
