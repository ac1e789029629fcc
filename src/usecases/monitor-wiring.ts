// The monitor wired to the real engines for one environment: the runbook's health probe and
// metrics source, the notification engine, the rollback engine and the post-rollback smoke tests,
// the journal in logs/monitor_<env>_<ts>.log. Used by `rollout monitor`, deploy and the TUI.
import { relative } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import type { Signal } from '../config/gates-schema.js';
import { UsageError } from '../domain/errors.js';
import { createMetricSource } from '../metrics/sources.js';
import type { MetricSource } from '../metrics/types.js';
import { createNotifier } from '../notify/index.js';
import type { Notifier } from '../notify/types.js';
import { checkHealth } from '../probes/health.js';
import { runSmoke } from '../steps/smoke.js';
import type { EngineContext } from '../config/engine-context.js';
import { Monitor, type HealthChecker, type MonitorEvent, type MonitorSummary, type RollbackRunner, type SmokeRunner } from './monitor.js';
import { latestMonitorLog, readJournalFile } from './monitor-journal.js';
import { monitorRollbackRunner } from './monitor-rollback.js';
import { readDeployJournal } from '../steps/deploy-journal.js';
import type { Workspace } from '../config/workspace.js';
import { listIncidents } from './incident.js';

/** How to start a monitor for an environment. */
export interface MonitorSetup {
  /** Window length in minutes (default: the config's duration_minutes). */
  durationMinutes?: number;
  /** Continue the newest unfinished window of the environment from its journal. */
  resume?: boolean;
  /** The release being watched. */
  version?: string;
  /** When the release was started (clock ms): its counters count from zero on the first read. */
  deployedAt?: number;
  /** When the watched release was started for sure (clock ms): PromQL windows never reach back before it. */
  windowSince?: number;
  /** Replace parts (tests, training). */
  health?: HealthChecker;
  source?: MetricSource;
  rollback?: RollbackRunner | null;
  smoke?: SmokeRunner | null;
  notifier?: Notifier | null;
  dryRun?: boolean;
}

/** A monitor ready to run, with its journal (the use case's: `run` closes it, faces only read its path). */
export interface MonitorHandle {
  monitor: Monitor;
  journal: AuditLog;
  /** Run the window to its end, then close the journal. */
  run(): Promise<MonitorSummary>;
  /** Why auto-rollback is unavailable, when it is. */
  rollbackUnavailable?: string;
}

/** When the newest finished deploy restarted the service (clock ms) and what it deployed. */
export function deployedFromJournal(root: string, env: string): { at: number; version: string } | undefined {
  const j = readDeployJournal(root, env);
  if (!j || j.status !== 'done') return undefined;
  const restart = j.steps.find((s) => s.step === 'restart' && s.status === 'started') ?? j.steps.find((s) => s.step === 'restart');
  const at = restart ? Date.parse(restart.at) : Number.NaN;
  return Number.isFinite(at) ? { at, version: j.to_version } : undefined;
}

/**
 * When the release running now started, as far as the workspace knows: the newest of the last
 * finished deploy's restart and the last successful rollback's return to health (a rollback
 * restarts the service on the restored release).
 */
export function watchedSince(ws: Workspace, env: string): { at: number; version: string } | undefined {
  let best = deployedFromJournal(ws.root, env);
  try {
    for (const i of listIncidents(ws, env)) {
      const at = i.rollback_ok && i.healthy_at ? Date.parse(i.healthy_at) : Number.NaN;
      if (Number.isFinite(at) && (!best || at > best.at)) best = { at, version: i.version_after ?? best?.version ?? '' };
    }
  } catch {
    // Unreadable incidents: the deploy journal alone.
  }
  return best;
}

function signalWindows(ctx: EngineContext): Partial<Record<Signal, number>> {
  const out: Partial<Record<Signal, number>> = {};
  for (const g of ctx.gates.gates) out[g.signal] = Math.max(out[g.signal] ?? 0, g.windowMinutes);
  return out;
}

/** Build a monitor for an environment; `resume` reads the newest journal (usage error when there is nothing to resume). */
export function createMonitorForEnv(ctx: EngineContext, setup: MonitorSetup = {}): MonitorHandle {
  const { ws, env } = ctx;
  // The window's clock (its polls, journal and samples); notifications and the rollback keep ctx.clock.
  const clock = ctx.monitorClock ?? ctx.clock;
  let journalPath: string | undefined;
  let resume;
  if (setup.resume) {
    if (setup.durationMinutes !== undefined) throw new UsageError('--duration cannot be combined with --resume: a resumed window keeps its T0 and end time (extend it from the monitor instead).');
    const path = latestMonitorLog(ws.logsDir, env);
    if (!path) throw new UsageError(`Nothing to resume for ${env}: logs/ holds no monitor journal (start one with: rollout monitor --env ${env}).`);
    const keep = Math.max(ctx.gates.monitoring.sampleHistoryMinutes, ...ctx.gates.gates.map((g) => g.windowMinutes)) * 60_000;
    const r = readJournalFile(path, keep);
    const shown = relative(ws.root, path).split('\\').join('/');
    if (r.kind === 'finished') throw new UsageError(`Nothing to resume for ${env}: the last monitor window (${shown}) already finished${r.summary ? ` (${r.summary.result})` : ''}; start a new one without --resume.`);
    if (r.kind === 'empty') throw new UsageError(`Cannot resume ${env}: ${shown} has no monitor-start event.`);
    journalPath = path;
    resume = r.state;
  }
  if (setup.durationMinutes !== undefined && !(setup.durationMinutes > 0)) throw new UsageError(`--duration must be a number of minutes above 0, got ${setup.durationMinutes}.`);
  const journal = AuditLog.open(ws.logsDir, 'monitor', env, { now: () => clock.now(), ...(journalPath ? { path: journalPath } : {}) });
  const logPathForHumans = relative(ws.root, journal.path).split('\\').join('/');
  const health: HealthChecker = setup.health ?? (() => checkHealth(ctx.target.health));
  // Without a deploy at hand (a standalone or resumed monitor), the deploy journal says when the release started.
  const lastDeploy = setup.windowSince === undefined ? watchedSince(ws, env) : undefined;
  const since = setup.windowSince ?? lastDeploy?.at;
  const version = setup.version ?? (lastDeploy?.version || undefined);
  const source =
    setup.source ??
    createMetricSource(ctx.target.metrics, {
      clock,
      windows: signalWindows(ctx),
      cwd: ws.root,
      env,
      ...(version ? { version } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(setup.deployedAt !== undefined ? { freshSince: setup.deployedAt } : {}),
    });
  const notifier = setup.notifier === null ? undefined : (setup.notifier ?? createNotifier({ ws, env, settings: ctx.gates.notifications, clock: ctx.clock, log: journal, ...(setup.dryRun ? { dryRun: true } : {}) }));
  let rollback: RollbackRunner | undefined;
  let rollbackUnavailable: string | undefined;
  if (setup.rollback === null) rollbackUnavailable = 'disabled for this run';
  else if (setup.rollback) rollback = setup.rollback;
  else {
    const r = monitorRollbackRunner(ctx, { log: journal, ...(notifier ? { notifier } : {}) });
    if (typeof r === 'string') rollbackUnavailable = r;
    else rollback = r;
  }
  const smoke: SmokeRunner | undefined =
    setup.smoke === null
      ? undefined
      : (setup.smoke ??
        (async () => {
          const run = await runSmoke(ctx, { tier: 'all', phase: 'post-rollback', log: journal });
          const failed = run.results.filter((r) => !r.ok);
          return { ok: run.ok, detail: run.results.length === 0 ? 'no smoke checks for post-rollback' : failed.length ? `${failed.length} of ${run.results.length} failed: ${failed.map((f) => `${f.id} (${f.detail})`).join('; ')}` : `${run.results.length} checks passed` };
        }));
  const monitor = new Monitor(
    { clock, health, source, journal, ...(rollback ? { rollback } : {}), ...(smoke ? { smoke } : {}), ...(notifier ? { notifier } : {}) },
    {
      env,
      gates: ctx.gates,
      ...(setup.durationMinutes !== undefined ? { durationMinutes: setup.durationMinutes } : {}),
      ...(resume ? { resume } : {}),
      ...(setup.version ? { version: setup.version } : {}),
      operator: ctx.operator,
      logPathForHumans,
      ...(setup.dryRun ? { dryRun: true } : {}),
      verifyTimeoutMs: ctx.target.target.kind === 'local' ? ctx.target.target.health_timeout_ms : 60_000,
    },
  );
  if (rollbackUnavailable) journal.warn('rollback-unavailable', { reason: rollbackUnavailable });
  // A window on an injected clock says so in its journal (a test's event clock must never pass for a real window).
  if (ctx.monitorClock) journal.warn('test-clock', { reason: 'this window ran on a clock injected by a test, not the wall clock' });
  const run = async (): Promise<MonitorSummary> => {
    try {
      return await monitor.run();
    } finally {
      journal.close();
    }
  };
  return { monitor, journal, run, ...(rollbackUnavailable ? { rollbackUnavailable } : {}) };
}

/**
 * The monitor window a walk began at or after `since` (ms), per the environment's newest journal:
 * resumable (an interrupted window, perhaps with an unverified rollback), or finished with its
 * summary; undefined when the newest window is not that walk's (or there is none).
 */
export function walkWindow(ctx: EngineContext, since: number): { kind: 'resumable'; shown: string } | { kind: 'finished'; summary: MonitorSummary } | undefined {
  const path = latestMonitorLog(ctx.ws.logsDir, ctx.env);
  if (!path) return undefined;
  const r = readJournalFile(path);
  const shown = relative(ctx.ws.root, path).split('\\').join('/');
  if (r.kind === 'resumable') return r.state.t0 >= since ? { kind: 'resumable', shown } : undefined;
  if (r.kind === 'finished' && r.summary && r.summary.t0 >= since) return { kind: 'finished', summary: r.summary };
  return undefined;
}

/** Options of runMonitorAfterDeploy. */
export interface AfterDeployOptions {
  version?: string;
  deployedAt?: number;
  /** When the deploy restarted the service (clock ms): PromQL windows start there. */
  restartedAt?: number;
  durationMinutes?: number;
  onEvent?: (e: MonitorEvent) => void;
  /** Aborting stops the monitor (its journal stays resumable). */
  signal?: AbortSignal;
  /** Gets the live monitor as soon as it exists (the TUI's monitor screen). */
  onMonitor?: (m: Monitor) => void;
  /** Continue the environment's newest unfinished window from its journal (as `monitor --resume`). */
  resume?: boolean;
}

/** Run the T+60 monitor right after a deploy: exit code 0 when the window passes, 1 when a gate breached. */
export async function runMonitorAfterDeploy(ctx: EngineContext, opts: AfterDeployOptions = {}): Promise<MonitorSummary> {
  const { monitor, run } = createMonitorForEnv(ctx, {
    ...(opts.resume ? { resume: true } : {}),
    ...(opts.version ? { version: opts.version } : {}),
    // Right after a deploy, a service process younger than a few minutes is the new release: its
    // counters since start all belong to it, so the first read already counts (no baseline poll).
    deployedAt: opts.deployedAt ?? ctx.clock.now() - 5 * 60_000,
    ...(opts.restartedAt !== undefined ? { windowSince: opts.restartedAt } : opts.deployedAt !== undefined ? { windowSince: opts.deployedAt } : {}),
    ...(opts.durationMinutes !== undefined ? { durationMinutes: opts.durationMinutes } : {}),
  });
  const off = opts.onEvent ? monitor.subscribe(opts.onEvent) : undefined;
  opts.onMonitor?.(monitor);
  const onAbort = (): void => monitor.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    off?.();
  }
}
