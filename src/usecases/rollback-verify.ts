// The one check that says a rollback is done (SPEC.md "Targets"): the running version, read from
// the target itself, equals the backup's, the running instance changed, then N consecutive OK
// health checks and the post-rollback smoke tests. Every rollback path (CLI, on-call screen,
// runbook step, monitor key, auto-rollback, resume) goes through rollback(), whose version,
// health and smoke stages (src/usecases/rollback/stages.ts) are these three checks.
import type { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import { waitForHealthy, type TimedHealthCheck } from '../probes/health.js';
import type { EngineContext } from '../config/engine-context.js';
import type { SmokeRun } from '../steps/smoke.js';
import { describeInstance, instanceKey, type RunningInstance, type Target } from '../targets/contract.js';

/** Which check a verification stopped at. */
export type VerifyStage = 'version' | 'health' | 'smoke';

/** Options of the three checks (version, health, smoke). */
export interface VerifyRollbackOptions {
  /** The backup's version: what must run afterwards. */
  expectVersion: string | null;
  /** What ran before the rollback changed anything (undefined: nothing answered). */
  before: RunningInstance | undefined;
  /** Consecutive OK health checks needed. */
  need: number;
  intervalMs: number;
  /** For the running version and for the health checks, each. */
  timeoutMs: number;
  /** The rollback's log (running versions, health checks) and the smoke tests' own log. */
  log?: AuditLog;
  smokeLog?: AuditLog;
  stage: (name: VerifyStage, status: 'running' | 'ok' | 'failed', detail: string) => void;
}

/** What the verification found. */
export interface VerifyRollbackResult {
  ok: boolean;
  /** The last answer of the target (what runs now), if any. */
  running: RunningInstance | undefined;
  healthChecks: TimedHealthCheck[];
  smoke: SmokeRun | null;
  failedAt?: VerifyStage;
  /** The reason, in words, when not ok. */
  reason?: string;
  /** How the instance change was established ("pid 1 -> pid 2", "version changed", ...). */
  instance?: string;
}

function secs(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1).replace(/\.0$/, '') : String(Math.round(ms / 1000));
}

/**
 * Is `now` a new instance compared with `before`? When the target reports an identity, it must
 * differ; without one, a changed version is proof enough (one process does not change its version).
 */
export function instanceChanged(before: RunningInstance | undefined, now: RunningInstance): { changed: boolean | 'unknown'; how: string } {
  if (!before) return { changed: true, how: 'nothing answered before the rollback' };
  const a = instanceKey(before);
  const b = instanceKey(now);
  if (a !== undefined && b !== undefined) return a === b ? { changed: false, how: `the same instance (${describeInstance(now)}) still runs` } : { changed: true, how: `${describeInstance(before)} -> ${describeInstance(now)}` };
  if (before.version !== now.version) return { changed: true, how: `${before.version} -> ${now.version}` };
  return { changed: 'unknown', how: 'the target reports no instance identity (pid, start time, revision) to compare' };
}

/** A fresh result for the three checks below to fill in, in order. */
export function newVerifyResult(): VerifyRollbackResult {
  return { ok: false, running: undefined, healthChecks: [], smoke: null };
}

function failed(out: VerifyRollbackResult, o: VerifyRollbackOptions, at: VerifyStage, reason: string): false {
  out.failedAt = at;
  out.reason = redactString(reason);
  o.stage(at, 'failed', out.reason);
  return false;
}

/** 1. The running version, read from the target itself, until it is the backup's in a new instance. */
export async function checkRunningVersion(ctx: EngineContext, target: Pick<Target, 'running'>, o: VerifyRollbackOptions, out: VerifyRollbackResult): Promise<boolean> {
  const clock = ctx.clock;
  if (!o.expectVersion) {
    o.stage('version', 'running', 'reading what runs from the target');
    out.running = await target.running().catch(() => undefined);
    return failed(out, o, 'version', `the backup does not record which version it holds, so the running version${out.running ? ` (${out.running.version})` : ''} cannot be checked against it`);
  }
  o.stage('version', 'running', `reading the running version from the target (expecting ${o.expectVersion})`);
  const start = clock.now();
  let how = '';
  for (;;) {
    out.running = await target.running().catch(() => undefined);
    o.log?.info('rollback.running_version', { version: out.running?.version ?? null, pid: out.running?.pid, started_at: out.running?.startedAt, revision: out.running?.revision, identity: out.running?.identity });
    if (out.running?.version === o.expectVersion) {
      const c = instanceChanged(o.before, out.running);
      how = c.how;
      if (c.changed !== false) {
        out.instance = c.how;
        break;
      }
    }
    if (clock.now() - start + o.intervalMs > o.timeoutMs) {
      if (!out.running) return failed(out, o, 'version', `the target reports no running version within ${secs(o.timeoutMs)} s (expected ${o.expectVersion})`);
      if (out.running.version !== o.expectVersion) return failed(out, o, 'version', `the target reports ${describeInstance(out.running)} running, not the backup's ${o.expectVersion}`);
      return failed(out, o, 'version', `${how}: the restart did not happen`);
    }
    await clock.sleep(o.intervalMs);
  }
  o.stage('version', 'ok', `${describeInstance(out.running)} runs (${out.instance})`);
  return true;
}

/** 2. N consecutive OK health checks. */
export async function checkHealthAfter(ctx: EngineContext, o: VerifyRollbackOptions, out: VerifyRollbackResult): Promise<boolean> {
  o.stage('health', 'running', `waiting for ${o.need} consecutive OK health checks (timeout ${secs(o.timeoutMs)} s)`);
  const h = await waitForHealthy(ctx.target.health, {
    consecutive: o.need,
    intervalMs: o.intervalMs,
    timeoutMs: o.timeoutMs,
    clock: ctx.clock,
    onCheck: (c, streak) => {
      o.log?.write(c.ok ? 'info' : 'warn', 'rollback.health_check', { ok: c.ok, detail: c.detail, latency_ms: c.latencyMs, streak });
      o.stage('health', 'running', `${c.ok ? 'OK' : 'not OK'} (${streak}/${o.need}): ${c.detail}`);
    },
  });
  out.healthChecks = h.checks;
  if (!h.ok) return failed(out, o, 'health', `${ctx.env} did not pass ${o.need} consecutive health checks within ${secs(o.timeoutMs)} s after the rollback (last: ${h.checks.at(-1)?.detail ?? 'no check'})`);
  o.stage('health', 'ok', `${o.need} consecutive OK checks (${h.checks.length} checks)`);
  return true;
}

/** 3. The post-rollback smoke tests; all three passed means the rollback is verified (out.ok). */
export async function checkSmokeAfter(ctx: EngineContext, o: VerifyRollbackOptions, out: VerifyRollbackResult): Promise<boolean> {
  o.stage('smoke', 'running', 'post-rollback smoke tests');
  // Loaded here, after the health checks: not on the way to the restored service.
  const { runSmoke } = await import('../steps/smoke.js');
  out.smoke = await runSmoke(ctx, { tier: 'all', phase: 'post-rollback', ...(o.smokeLog ? { log: o.smokeLog } : {}) });
  const bad = out.smoke.results.filter((r) => !r.ok);
  if (bad.length > 0) return failed(out, o, 'smoke', `post-rollback smoke tests failed in ${ctx.env}: ${bad.map((f) => `${f.id} (${f.detail})`).join(', ')}`);
  o.stage('smoke', 'ok', `${out.smoke.results.length} checks passed`);
  out.ok = true;
  return true;
}

/** Read the target until it runs `expectVersion` in a new instance, then health, then smoke (the three checks in one call, for a fleet's hosts). */
export async function verifyRollback(ctx: EngineContext, target: Pick<Target, 'running'>, o: VerifyRollbackOptions): Promise<VerifyRollbackResult> {
  const out = newVerifyResult();
  if (await checkRunningVersion(ctx, target, o, out)) if (await checkHealthAfter(ctx, o, out)) await checkSmokeAfter(ctx, o, out);
  return out;
}

/** The one loud sentence of a rollback that did not verify: "ROLLBACK FAILED: <env> still runs <version> …: why." */
export function rollbackFailedSentence(env: string, running: RunningInstance | undefined, expected: string | null, reason: string): string {
  const why = reason.replace(/\.$/, '');
  const exp = expected ? ` (expected ${expected})` : '';
  if (!running) return `ROLLBACK FAILED: ${env} runs nothing that answers${exp}: ${why}.`;
  if (expected && running.version === expected) return `ROLLBACK FAILED: ${env} runs ${running.version}, but ${why}.`;
  return `ROLLBACK FAILED: ${env} still runs ${running.version}${exp}: ${why}.`;
}
