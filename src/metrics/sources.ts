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
import { bucketsFromLe, readingFromJson, readingFromPromText } from './readings.js';
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
  /** Working folder of command sources. */
  cwd?: string;
}

type Reader = () => Promise<RawReading | SourceProblem>;

/** A source from a reader: deltas, timestamps, and no exception ever escapes. */
export function sourceFromReader(description: string, reader: Reader, opts: SourceOptions = {}): MetricSource {
  const clock = opts.clock ?? systemClock;
  const tracker = new DeltaTracker(opts.freshSince);
  return {
    description,
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

/** The demo service's metric names as PromQL, one query per signal (overridable in the runbook). */
export const DEFAULT_QUERIES: Record<string, string> = {
  extractions_total: 'sum(dhash_extractions_total)',
  extraction_failures_total: 'sum(dhash_extraction_failures_total)',
  hash_time_ms_bucket: 'sum by (le) (dhash_hash_time_ms_bucket)',
  low_confidence_queue: 'max(dhash_low_confidence_queue)',
  cpu_percent: 'max(dhash_process_cpu_percent)',
  memory_percent: 'max(dhash_process_memory_percent)',
  disk_used_percent: 'max(dhash_disk_used_percent)',
};

/** Query keys that give a gate's value directly (already windowed by PromQL). */
const DIRECT_KEYS: Signal[] = ['extraction_failure_rate', 'hash_time_ms'];

interface PromVectorItem {
  metric?: Record<string, string>;
  value?: [number, string];
}

async function promQuery(base: string, query: string, timeoutMs: number): Promise<PromVectorItem[] | SourceProblem> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let text: string;
  try {
    const res = await request(url, { signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    text = await res.body.text();
    if (res.statusCode >= 500) return new SourceProblem('error', `Prometheus at ${safeUrl(base)} answered HTTP ${res.statusCode}`);
    if (res.statusCode >= 300 && res.statusCode !== 400 && res.statusCode !== 422) return new SourceProblem('error', `Prometheus at ${safeUrl(base)} answered HTTP ${res.statusCode}`);
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string } };
    const code = err.code ?? err.cause?.code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError' || code?.startsWith('UND_ERR_') && code.includes('TIMEOUT')) return new SourceProblem('error', `no answer from Prometheus at ${safeUrl(base)} within ${timeoutMs} ms`);
    return new SourceProblem('error', `Prometheus at ${safeUrl(base)} is unreachable (${code ?? err.message})`);
  }
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return new SourceProblem('error', `Prometheus at ${safeUrl(base)} did not answer JSON`);
  }
  if (body.status !== 'success') return new SourceProblem('error', `Prometheus rejected the query "${query}": ${body.error ?? 'unknown error'}`);
  if (body.data?.resultType === 'scalar' && Array.isArray(body.data.result)) return [{ value: body.data.result as [number, string] }];
  if (!Array.isArray(body.data?.result)) return new SourceProblem('error', `Prometheus answered an unexpected shape for "${query}"`);
  return body.data.result as PromVectorItem[];
}

function promReader(spec: Extract<MetricsSpec, { kind: 'prometheus' }>, opts: SourceOptions): Reader {
  const given = spec.queries ?? {};
  const known = new Set([...Object.keys(DEFAULT_QUERIES), ...DIRECT_KEYS]);
  for (const k of Object.keys(given)) if (!known.has(k)) throw new ConfigError(`runbook metrics.queries: unknown key "${k}" (known: ${[...known].join(', ')}).`);
  const queries = { ...DEFAULT_QUERIES, ...given };
  const windowFor = (key: string): string => {
    const sig: Signal = key.startsWith('extraction') ? 'extraction_failure_rate' : key.startsWith('hash') ? 'hash_time_ms' : (key as Signal);
    const minutes = opts.windows?.[sig] ?? 5;
    return `${Math.max(1, Math.round(minutes * 60))}s`;
  };
  return async () => {
    const entries = Object.entries(queries).filter(([, q]) => q.trim() !== '');
    const answers = await Promise.all(entries.map(async ([k, q]) => [k, await promQuery(spec.url, q.replaceAll('{window}', windowFor(k)), spec.timeout_ms)] as const));
    const firstError = answers.find(([, a]) => a instanceof SourceProblem);
    if (firstError) return firstError[1] as SourceProblem;
    const r: RawReading = { gauges: {} };
    let any = false;
    for (const [k, a] of answers) {
      const items = a as PromVectorItem[];
      if (items.length === 0) continue;
      const scalar = (): number | undefined => {
        const v = Number(items[0]?.value?.[1]);
        return Number.isFinite(v) ? v : undefined;
      };
      if (k === 'hash_time_ms_bucket') {
        const b = bucketsFromLe(items.map((i) => [i.metric?.le ?? '', Number(i.value?.[1] ?? NaN)]));
        if (b) {
          r.hashCumulative = b;
          any = true;
        }
        continue;
      }
      const v = scalar();
      if (v === undefined) continue;
      any = true;
      if (k === 'extractions_total') r.extractionsTotal = v;
      else if (k === 'extraction_failures_total') r.failuresTotal = v;
      else r.gauges[k as Signal] = v;
    }
    if (!any) return new SourceProblem('no-data', `Prometheus at ${safeUrl(spec.url)} has no data for any query yet`);
    return r;
  };
}

/** Build the metrics source a runbook environment names. */
export function createMetricSource(spec: MetricsSpec, opts: SourceOptions = {}): MetricSource {
  switch (spec.kind) {
    case 'http-json': {
      const where = safeUrl(spec.url);
      return sourceFromReader(`http-json ${where}`, async () => {
        const t = await fetchText(spec.url, spec.timeout_ms, 'application/json');
        return t instanceof SourceProblem ? t : readingFromJson(t, where);
      }, opts);
    }
    case 'prometheus-text': {
      const where = safeUrl(spec.url);
      return sourceFromReader(`prometheus-text ${where}`, async () => {
        const t = await fetchText(spec.url, spec.timeout_ms, 'text/plain');
        return t instanceof SourceProblem ? t : readingFromPromText(t, where);
      }, opts);
    }
    case 'prometheus':
      return sourceFromReader(`prometheus ${safeUrl(spec.url)}`, promReader(spec, opts), opts);
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
