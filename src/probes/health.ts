// Health probing for every engine part (deploy, rollback, monitor): one check of the runbook's
// http or command health spec, and a wait for N consecutive OK checks with a timeout.
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { runCommand } from '../shell/shell.js';
import { redactString } from '../audit/redact.js';
import { getText } from './http-get.js';
import { monotonicMs } from '../domain/time.js';

/** A runbook health section. */
export type HealthSpec = EnvironmentRunbook['health'];

/** One health check's outcome. */
export interface HealthCheck {
  ok: boolean;
  detail: string;
  latencyMs: number;
}

/** A check with the time it was taken (clock time, ms). */
export interface TimedHealthCheck extends HealthCheck {
  at: number;
}

function field(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listening)';
  return code ? `request failed (${code})` : `request failed (${err.message})`;
}

/** Check health once; never throws: failures are reported in `detail`. */
export async function checkHealth(spec: HealthSpec, opts: { timeoutMs?: number } = {}): Promise<HealthCheck> {
  const started = monotonicMs();
  const timeoutMs = opts.timeoutMs ?? spec.timeout_ms;
  const done = (ok: boolean, detail: string): HealthCheck => ({ ok, detail: redactString(detail), latencyMs: Math.round(monotonicMs() - started) });
  if (spec.kind === 'command') {
    const r = await runCommand(spec.command, { timeoutMs });
    const last = `${r.stdout}\n${r.stderr}`.trim().split(/\r?\n/).pop() ?? '';
    if (r.timedOut) return done(false, `health command gave no answer within ${timeoutMs} ms`);
    return done(r.exitCode === 0, `exit ${r.exitCode ?? 'signal'}${last ? `: ${last.slice(0, 200)}` : ''}`);
  }
  let res: { status: number; text: string };
  try {
    res = await getText(spec.url, { timeoutMs, headers: { accept: 'application/json' } });
  } catch (e) {
    return done(false, describeFetchError(e, timeoutMs));
  }
  if (res.status !== spec.expect_status) {
    let reason = '';
    try {
      const r = field(JSON.parse(res.text), 'reason');
      if (typeof r === 'string') reason = `: ${r}`;
    } catch {
      /* not JSON */
    }
    return done(false, `HTTP ${res.status}, expected ${spec.expect_status}${reason}`);
  }
  if (!spec.json_field) return done(true, `HTTP ${res.status}`);
  let value: unknown;
  try {
    value = field(JSON.parse(res.text), spec.json_field);
  } catch {
    return done(false, `HTTP ${res.status} but the body is not JSON`);
  }
  const ok = spec.expect === undefined ? Boolean(value) : String(value) === String(spec.expect);
  return done(ok, `HTTP ${res.status}, ${spec.json_field}=${JSON.stringify(value) ?? 'missing'}${ok ? '' : `, expected ${JSON.stringify(spec.expect ?? 'truthy')}`}`);
}

/** Options of waitForHealthy. */
export interface WaitOptions {
  consecutive?: number;
  intervalMs?: number;
  timeoutMs?: number;
  clock?: Clock;
  onCheck?: (check: TimedHealthCheck, streak: number) => void;
  signal?: AbortSignal;
}

/**
 * Check until `consecutive` checks in a row are OK, or the timeout passes. Checks start
 * `intervalMs` apart (start to start), and the k-th OK check of a streak starts no sooner than
 * k - 1 intervals after the first one's answer: N OK checks in a row mean the service answered OK
 * from that answer to the last check, at least N - 1 intervals (start to start alone gives that
 * less the first check's latency, and after checks slower than the interval, back to back, as
 * little as one check's latency). A check slower than the interval is otherwise followed at once.
 * No sleep is longer than the interval, whatever the clock does (a wall clock stepped back during
 * a check would otherwise sleep the step out).
 */
export async function waitForHealthy(spec: HealthSpec, opts: WaitOptions = {}): Promise<{ ok: boolean; checks: TimedHealthCheck[] }> {
  const clock = opts.clock ?? systemClock;
  const need = opts.consecutive ?? 3;
  const interval = opts.intervalMs ?? 250;
  const timeout = opts.timeoutMs ?? 20_000;
  const start = clock.now();
  const checks: TimedHealthCheck[] = [];
  let streak = 0;
  /** When the first OK check of the current streak answered. */
  let firstOkAt = 0;
  for (;;) {
    if (opts.signal?.aborted) return { ok: false, checks };
    const began = clock.now();
    const remaining = timeout - (began - start);
    const c = await checkHealth(spec, { timeoutMs: Math.max(100, Math.min(spec.timeout_ms, remaining)) });
    const timed = { ...c, at: clock.now() };
    checks.push(timed);
    streak = c.ok ? streak + 1 : 0;
    if (streak === 1) firstOkAt = timed.at;
    opts.onCheck?.(timed, streak);
    if (streak >= need) return { ok: true, checks };
    const nextAt = Math.max(clock.now(), began + interval, streak > 0 ? firstOkAt + streak * interval : 0);
    if (nextAt - start > timeout) return { ok: false, checks };
    const wait = Math.min(interval, nextAt - clock.now());
    if (wait > 0) await clock.sleep(wait, opts.signal);
  }
}
