// Smoke tests from the runbook: HTTP status and body, the dHash of a golden image against its
// known value, /metrics that parses (JSON or Prometheus text), and command checks. Each result
// goes to logs/smoke_test_<env>_<ts>.log; any failure fails the run.
import type { AuditLog } from '../audit/logger.js';
import { redactString } from '../audit/redact.js';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import type { EngineContext } from '../config/engine-context.js';
import { runCommand } from '../shell/shell.js';
import { getText } from '../probes/http-get.js';
import { monotonicMs } from '../domain/time.js';

export type SmokeTier = 'critical' | 'standard' | 'all';
export type SmokePhase = 'pre-deploy' | 'post-deploy' | 'post-rollback';
type SmokeCheck = EnvironmentRunbook['smoke'][number];

/** One check's result. */
export interface SmokeResult {
  id: string;
  tier: 'critical' | 'standard';
  ok: boolean;
  detail: string;
  ms: number;
}

/** A whole smoke run. */
export interface SmokeRun {
  results: SmokeResult[];
  ok: boolean;
  tier: SmokeTier;
  phase: SmokePhase;
  logPath?: string;
}

async function fetchText(url: string, timeoutMs: number, accept?: string): Promise<{ status: number; text: string }> {
  return getText(url, { timeoutMs, ...(accept ? { headers: { accept } } : {}) });
}

function failure(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (err.cause?.code === 'ECONNREFUSED') return 'connection refused (nothing listening)';
  return err.cause?.code ? `request failed (${err.cause.code})` : `request failed (${err.message})`;
}

/** Check that text is the Prometheus exposition format; returns the number of samples. */
export function parsePrometheusText(text: string): { samples: number; names: Set<string> } {
  const names = new Set<string>();
  let samples = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      if (line.startsWith('# TYPE') && !/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/.test(line)) throw new Error(`line ${i + 1}: bad TYPE line`);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line.slice(0, 60)}`);
    const v = m[3]!;
    if (!/^(NaN|[+-]?Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(v)) throw new Error(`line ${i + 1}: bad value ${v}`);
    names.add(m[1]!);
    samples++;
  });
  if (samples === 0) throw new Error('no samples');
  return { samples, names };
}

async function runOne(c: SmokeCheck): Promise<{ ok: boolean; detail: string }> {
  const t = c.timeout_ms;
  switch (c.kind) {
    case 'http': {
      if (!c.url) return { ok: false, detail: 'no url in the runbook' };
      try {
        const r = await fetchText(c.url, t);
        const want = c.expect_status ?? 200;
        if (r.status !== want) return { ok: false, detail: `HTTP ${r.status}, expected ${want}` };
        if (c.body_contains && !r.text.includes(c.body_contains)) return { ok: false, detail: `HTTP ${r.status}, body lacks ${JSON.stringify(c.body_contains)}` };
        return { ok: true, detail: `HTTP ${r.status}${c.body_contains ? `, body has ${JSON.stringify(c.body_contains)}` : ''}` };
      } catch (e) {
        return { ok: false, detail: failure(e, t) };
      }
    }
    case 'dhash-golden': {
      if (!c.url) return { ok: false, detail: 'no url in the runbook' };
      try {
        const r = await fetchText(c.url, t);
        if (r.status !== 200) return { ok: false, detail: `HTTP ${r.status}, expected 200` };
        const j = JSON.parse(r.text) as { name?: unknown; hash?: unknown };
        const name = typeof j.name === 'string' ? j.name : new URL(c.url).searchParams.get('golden') ?? '?';
        // The value is the runbook's, fixed in advance: the engine knows nothing of demo images.
        const want = c.expect_hash;
        if (!want) return { ok: false, detail: `no golden value for "${name}" (set expect_hash in the runbook)` };
        if (j.hash !== want) return { ok: false, detail: `dHash of ${name} is ${String(j.hash)}, golden value ${want}` };
        return { ok: true, detail: `dHash of ${name} = ${want} (golden)` };
      } catch (e) {
        return { ok: false, detail: e instanceof SyntaxError ? 'the answer is not JSON' : failure(e, t) };
      }
    }
    case 'metrics': {
      if (!c.url) return { ok: false, detail: 'no url in the runbook' };
      try {
        // The Accept a scraper (or a JSON client) sends: a service that negotiates answers in kind.
        const r = await fetchText(c.url, t, (c.format ?? 'json') === 'json' ? 'application/json' : 'text/plain;version=0.0.4');
        if (r.status !== 200) return { ok: false, detail: `HTTP ${r.status}, expected 200` };
        if ((c.format ?? 'json') === 'json') {
          const j = JSON.parse(r.text) as Record<string, unknown>;
          if (j === null || typeof j !== 'object' || Array.isArray(j)) return { ok: false, detail: 'the answer is not a JSON object' };
          const counts = ['extractions_total', 'extraction_failures_total', 'low_confidence_queue'].filter((k) => typeof j[k] === 'number');
          return { ok: true, detail: `JSON with ${Object.keys(j).length} fields${counts.length ? ` (${counts.map((k) => `${k}=${String(j[k])}`).join(', ')})` : ''}` };
        }
        const p = parsePrometheusText(r.text);
        return { ok: true, detail: `Prometheus text, ${p.samples} samples of ${p.names.size} series` };
      } catch (e) {
        if (e instanceof SyntaxError) return { ok: false, detail: 'the answer is not JSON' };
        if (e instanceof Error && /^(line \d+|no samples)/.test(e.message)) return { ok: false, detail: `not Prometheus text: ${e.message}` };
        return { ok: false, detail: failure(e, t) };
      }
    }
    case 'command': {
      if (!c.command) return { ok: false, detail: 'no command in the runbook' };
      const r = await runCommand(c.command, { timeoutMs: t });
      const last = `${r.stdout}\n${r.stderr}`.trim().split(/\r?\n/).pop() ?? '';
      if (r.timedOut) return { ok: false, detail: `no result within ${t} ms` };
      return { ok: r.exitCode === 0, detail: `exit ${r.exitCode ?? 'signal'}${last ? `: ${last.slice(0, 120)}` : ''}` };
    }
  }
}

/** The checks of a tier and phase. */
export function selectChecks(checks: SmokeCheck[], tier: SmokeTier, phase: SmokePhase): SmokeCheck[] {
  return checks.filter((c) => (tier === 'all' || c.tier === tier) && (!c.phases || c.phases.includes(phase)));
}

/** Run the environment's smoke checks for a tier and phase, logging each result. */
export async function runSmoke(ctx: EngineContext, opts: { tier: SmokeTier; phase: SmokePhase; log?: AuditLog; onResult?: (r: SmokeResult) => void }): Promise<SmokeRun> {
  const checks = selectChecks(ctx.target.smoke, opts.tier, opts.phase);
  opts.log?.info('smoke.start', { tier: opts.tier, phase: opts.phase, checks: checks.map((c) => c.id) });
  const results: SmokeResult[] = [];
  for (const c of checks) {
    const t0 = monotonicMs();
    const r = await runOne(c);
    const res: SmokeResult = { id: c.id, tier: c.tier, ok: r.ok, detail: redactString(r.detail), ms: Math.round(monotonicMs() - t0) };
    results.push(res);
    opts.log?.write(res.ok ? 'info' : 'error', 'smoke.check', { ...res });
    opts.onResult?.(res);
  }
  const ok = results.every((r) => r.ok);
  opts.log?.write(ok ? 'info' : 'error', 'smoke.done', { ok, passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length });
  return { results, ok, tier: opts.tier, phase: opts.phase, ...(opts.log ? { logPath: opts.log.path } : {}) };
}

/** The result table as text lines (for the CLI and logs). */
export function smokeTable(results: SmokeResult[]): string[] {
  const w = Math.max(5, ...results.map((r) => r.id.length));
  const lines = [`${'check'.padEnd(w)}  tier      result  ms     detail`];
  for (const r of results) lines.push(`${r.id.padEnd(w)}  ${r.tier.padEnd(8)}  ${(r.ok ? 'PASS' : 'FAIL').padEnd(6)}  ${String(r.ms).padStart(5)}  ${r.detail}`);
  return lines;
}
