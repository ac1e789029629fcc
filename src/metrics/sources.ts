// The four metric sources of the runbook (http-json, prometheus-text, prometheus, command), each
// turning its wire shape into a RawReading, then a Sample through the same delta tracker.
import { request } from 'undici';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import type { Signal } from '../config/gates-schema.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { ConfigError } from '../domain/errors.js';
import { runCommand } from '../shell/shell.js';
import { redactString } from '../audit/redact.js';
import { DeltaTracker } from './deltas.js';
import { fetchText, safeUrl } from './fetch-text.js';
import { httpAccess, type HttpAccess } from './http-access.js';
import { readingFromJson, readingFromPromText } from './readings.js';
import { SourceProblem, type MetricSource, type RawReading, type SourceOutcome } from './types.js';

/** A runbook metrics section. */
export type MetricsSpec = EnvironmentRunbook['metrics'];

/** Options shared by every source. */
export interface SourceOptions {
  clock?: Clock;
  /** A first reading from a process started at or after this time counts from zero (just deployed). */
  freshSince?: number;
  /** Gate window per signal (minutes), for `{window}` in PromQL queries. */
  windows?: Partial<Record<Signal, number>>;
  /** Working folder of command sources (and of a relative ca_file). */
  cwd?: string;
  /** When the watched release was started (clock ms): PromQL windows never reach back before it. */
  since?: number;
  /** The environment and release, for {env} and {version} in PromQL templates. */
  env?: string;
  version?: string;
}

type Reader = () => Promise<RawReading | SourceProblem>;

/** A source from a reader: deltas, timestamps, and no exception ever escapes. */
export function sourceFromReader(description: string, reader: Reader, opts: SourceOptions = {}, warnings: string[] = []): MetricSource {
  const clock = opts.clock ?? systemClock;
  const tracker = new DeltaTracker(opts.freshSince);
  return {
    description,
    ...(warnings.length ? { warnings } : {}),
    async read(): Promise<SourceOutcome> {
      let r: RawReading | SourceProblem;
      try {
        r = await reader();
      } catch (e) {
        r = new SourceProblem('error', redactString(`reading ${description} failed (${(e as Error).message})`));
      }
      const t = clock.now();
      if (r instanceof SourceProblem) return { status: r.status, detail: r.detail, t };
      return { status: 'ok', sample: tracker.next(r, t) };
    },
  };
}

/**
 * The default PromQL per signal, written the way Prometheus users write them: ratios of summed
 * rates and histogram_quantile over summed bucket rates, all scoped by the environment's selector.
 * `<signal>_observations` counts what the value stands on (for the gate's min_observations).
 */
export const DEFAULT_QUERIES: Record<PromQueryKey, string> = {
  extraction_failure_rate: '100 * sum(rate(dhash_extraction_failures_total{selector}[{window}])) / sum(rate(dhash_extractions_total{selector}[{window}]))',
  extraction_failure_rate_observations: 'sum(increase(dhash_extractions_total{selector}[{window}]))',
  hash_time_ms: 'histogram_quantile(0.95, sum by (le) (rate(dhash_hash_time_ms_bucket{selector}[{window}])))',
  hash_time_ms_observations: 'sum(increase(dhash_hash_time_ms_count{selector}[{window}]))',
  low_confidence_queue: 'max(dhash_low_confidence_queue{selector})',
  cpu_percent: 'max(dhash_process_cpu_percent{selector})',
  memory_percent: 'max(dhash_process_memory_percent{selector})',
  disk_used_percent: 'max(dhash_disk_used_percent{selector})',
};

/** A query key once gate-name aliases are resolved: a signal, or a signal's observation count. */
export type PromQueryKey =
  | 'extraction_failure_rate'
  | 'extraction_failure_rate_observations'
  | 'hash_time_ms'
  | 'hash_time_ms_observations'
  | 'low_confidence_queue'
  | 'cpu_percent'
  | 'memory_percent'
  | 'disk_used_percent';

/** The known gates whose name differs from their signal. */
const GATE_ALIASES: Record<string, PromQueryKey> = { p95_hash_time: 'hash_time_ms', p95_hash_time_observations: 'hash_time_ms_observations' };

/** One query the prometheus source runs, and where it comes from. */
export interface ResolvedQuery {
  key: PromQueryKey;
  signal: Signal;
  observations: boolean;
  template: string;
  origin: 'runbook' | 'default';
}

type PromSpec = Extract<MetricsSpec, { kind: 'prometheus' }>;

/**
 * The queries the prometheus source runs: the runbook's query wins over the default for its key,
 * on every poll; an empty runbook query turns that key off. A gate name and its signal both set
 * is a ConfigError (one of them would be silently ignored).
 */
export function resolvePromQueries(spec: Pick<PromSpec, 'queries'>): ResolvedQuery[] {
  const given: Partial<Record<PromQueryKey, string>> = {};
  for (const [k, q] of Object.entries(spec.queries ?? {})) {
    if (q === undefined) continue;
    const key = (GATE_ALIASES[k] ?? k) as PromQueryKey;
    if (!(key in DEFAULT_QUERIES)) throw new ConfigError(`runbook metrics.queries: unknown key "${k}" (known: ${Object.keys(DEFAULT_QUERIES).join(', ')}, or the gate names ${Object.keys(GATE_ALIASES).join(', ')}).`);
    if (given[key] !== undefined) throw new ConfigError(`runbook metrics.queries: "${k}" and "${key}" name the same query; keep one.`);
    given[key] = q;
  }
  return (Object.keys(DEFAULT_QUERIES) as PromQueryKey[])
    .map((key): ResolvedQuery => {
      const observations = key.endsWith('_observations');
      return { key, signal: (observations ? key.slice(0, -'_observations'.length) : key) as Signal, observations, template: given[key] ?? DEFAULT_QUERIES[key], origin: given[key] !== undefined ? 'runbook' : 'default' };
    })
    .filter((q) => q.template.trim() !== '');
}

/** A duration in PromQL's syntax (whole seconds, at least 1 s). */
function promDuration(seconds: number): string {
  return `${Math.max(1, Math.floor(seconds))}s`;
}

/** The variables of a query template at one poll. */
export interface QueryVars {
  selector: string;
  env: string;
  version?: string;
  /** Gate window (s), already clamped to the time since the deploy. */
  windowSeconds: number;
  sinceDeploySeconds?: number;
}

/** Fill a template's {selector}, {env}, {version}, {window} and {since_deploy}; a problem when {version} is unknown. */
export function fillQuery(template: string, v: QueryVars): string | SourceProblem {
  if (template.includes('{version}') && !v.version) return new SourceProblem('error', 'a query uses {version} but the watched version is unknown (start the monitor from a deploy, or with a deploy journal)');
  const selector = v.selector.trim();
  return template
    .replaceAll('{selector}', selector === '{}' ? '' : selector)
    .replaceAll('{env}', v.env)
    .replaceAll('{version}', v.version ?? '')
    .replaceAll('{window}', promDuration(v.windowSeconds))
    .replaceAll('{since_deploy}', promDuration(v.sinceDeploySeconds ?? v.windowSeconds));
}

interface PromVectorItem {
  metric?: Record<string, string>;
  value?: [number, string];
}

async function promQuery(base: string, query: string, timeoutMs: number, access: HttpAccess): Promise<PromVectorItem[] | SourceProblem> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let text: string;
  try {
    const res = await request(url, { signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { accept: 'application/json', ...access.headers }, ...(access.dispatcher ? { dispatcher: access.dispatcher } : {}) });
    text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) return new SourceProblem('error', `Prometheus at ${safeUrl(base)} answered HTTP ${res.statusCode}: credentials refused (check bearer_token_env / basic_auth)`);
    if (res.statusCode >= 500) return new SourceProblem('error', `Prometheus at ${safeUrl(base)} answered HTTP ${res.statusCode}`);
    if (res.statusCode >= 300 && res.statusCode !== 400 && res.statusCode !== 422) return new SourceProblem('error', `Prometheus at ${safeUrl(base)} answered HTTP ${res.statusCode}`);
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || (code?.startsWith('UND_ERR_') && code.includes('TIMEOUT'))) return new SourceProblem('error', `no answer from Prometheus at ${safeUrl(base)} within ${timeoutMs} ms`);
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return new SourceProblem('error', `TLS certificate of Prometheus at ${safeUrl(base)} not trusted (${code}): set ca_file in the runbook metrics section`);
    return new SourceProblem('error', redactString(`Prometheus at ${safeUrl(base)} is unreachable (${code ?? err.message})`));
  }
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return new SourceProblem('error', `Prometheus at ${safeUrl(base)} did not answer JSON`);
  }
  if (body.status !== 'success') return new SourceProblem('error', redactString(`Prometheus rejected the query "${query}": ${body.error ?? 'unknown error'}`));
  if (body.data?.resultType === 'scalar' && Array.isArray(body.data.result)) return [{ value: body.data.result as [number, string] }];
  if (!Array.isArray(body.data?.result)) return new SourceProblem('error', `Prometheus answered an unexpected shape for "${query}"`);
  return body.data.result as PromVectorItem[];
}

function promReader(spec: PromSpec, opts: SourceOptions, access: HttpAccess): Reader {
  const queries = resolvePromQueries(spec);
  const clock = opts.clock ?? systemClock;
  return async () => {
    const now = clock.now();
    const since = opts.since !== undefined ? Math.max(0, (now - opts.since) / 1000) : undefined;
    const filled: [ResolvedQuery, string][] = [];
    for (const q of queries) {
      // {window}: the gate's window, never reaching back before the deploy.
      const windowMinutes = opts.windows?.[q.signal] || 5;
      const windowSeconds = since !== undefined ? Math.min(windowMinutes * 60, since) : windowMinutes * 60;
      const text = fillQuery(q.template, { selector: spec.selector ?? '', env: opts.env ?? '', ...(opts.version ? { version: opts.version } : {}), windowSeconds, ...(since !== undefined ? { sinceDeploySeconds: since } : {}) });
      if (text instanceof SourceProblem) return text;
      filled.push([q, text]);
    }
    const answers = await Promise.all(filled.map(async ([q, text]) => [q, text, await promQuery(spec.url, text, spec.timeout_ms, access)] as const));
    const firstError = answers.find(([, , a]) => a instanceof SourceProblem);
    if (firstError) return firstError[2] as SourceProblem;
    const r: RawReading = { gauges: {}, counts: {} };
    let any = false;
    for (const [q, text, a] of answers) {
      const items = a as PromVectorItem[];
      if (items.length === 0) continue;
      // One number per query: several series would be summed or maxed silently by guesswork.
      if (items.length > 1) return new SourceProblem('error', `the ${q.key} query returned ${items.length} series, not one; aggregate it (sum, max, …): ${text}`);
      const v = Number(items[0]?.value?.[1]);
      if (!Number.isFinite(v)) continue;
      any = true;
      if (q.observations) r.counts![q.signal] = v;
      else r.gauges[q.signal] = v;
    }
    if (!any) return new SourceProblem('no-data', `Prometheus at ${safeUrl(spec.url)} has no data yet for ${spec.selector?.trim() ? spec.selector.trim() : 'the queries'}`);
    return r;
  };
}

/** Build the metrics source a runbook environment names (a ConfigError for a missing credential variable or CA file). */
export function createMetricSource(spec: MetricsSpec, opts: SourceOptions = {}): MetricSource {
  switch (spec.kind) {
    case 'http-json': {
      const where = safeUrl(spec.url);
      const access = httpAccess(spec, { ...(opts.cwd ? { cwd: opts.cwd } : {}) });
      return sourceFromReader(`http-json ${where}`, async () => {
        const t = await fetchText(spec.url, spec.timeout_ms, 'application/json', access);
        return t instanceof SourceProblem ? t : readingFromJson(t, where);
      }, opts, access.warnings);
    }
    case 'prometheus-text': {
      const where = safeUrl(spec.url);
      return sourceFromReader(`prometheus-text ${where}`, async () => {
        const t = await fetchText(spec.url, spec.timeout_ms, 'text/plain');
        return t instanceof SourceProblem ? t : readingFromPromText(t, where);
      }, opts);
    }
    case 'prometheus': {
      const access = httpAccess(spec, { ...(opts.cwd ? { cwd: opts.cwd } : {}) });
      const scope = spec.selector?.trim() ? ` ${spec.selector.trim()}` : '';
      return sourceFromReader(`prometheus ${safeUrl(spec.url)}${scope}`, promReader(spec, opts, access), opts, access.warnings);
    }
    case 'command':
      return sourceFromReader('command', async () => {
        const r = await runCommand(spec.command, { timeoutMs: spec.timeout_ms, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
        if (r.timedOut) return new SourceProblem('error', `metrics command gave no answer within ${spec.timeout_ms} ms`);
        if (r.exitCode !== 0) return new SourceProblem('error', redactString(`metrics command exited ${r.exitCode ?? 'on a signal'}${r.stderr.trim() ? `: ${r.stderr.trim().split(/\r?\n/).pop()!.slice(0, 200)}` : ''}`));
        if (r.stdout.trim() === '') return new SourceProblem('no-data', 'metrics command printed nothing');
        return readingFromJson(r.stdout, 'the metrics command');
      }, opts);
  }
}
