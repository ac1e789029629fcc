// Raw readings from the three wire shapes: the service's JSON contract (http-json and command
// sources), the Prometheus exposition text, and PromQL answers. Garbage is a SourceProblem.
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import type { Signal } from '../config/gates-schema.js';
import { HASH_TIME_BUCKETS_MS, PROM } from '../domain/metrics-contract.js';
import { SourceProblem, type RawReading } from './types.js';

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

const GAUGE_KEYS: [string, Signal][] = [
  ['low_confidence_queue', 'low_confidence_queue'],
  ['cpu_percent', 'cpu_percent'],
  ['memory_percent', 'memory_percent'],
  ['disk_used_percent', 'disk_used_percent'],
];

/** A reading from the service's /metrics JSON (src/domain/metrics-contract.ts), or a problem. */
export function readingFromJson(text: string, where: string): RawReading | SourceProblem {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return new SourceProblem('error', `${where} did not answer JSON`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return new SourceProblem('error', `${where} answered JSON that is not an object`);
  const d = data as Record<string, unknown>;
  const r: RawReading = { gauges: {} };
  const pid = num(d.pid);
  const uptime = num(d.uptime_seconds);
  if (pid !== undefined) r.identity = `pid:${pid}`;
  if (uptime !== undefined) r.uptimeSeconds = uptime;
  if (typeof d.version === 'string') r.version = d.version;
  const ex = num(d.extractions_total);
  const fa = num(d.extraction_failures_total);
  if (ex !== undefined) r.extractionsTotal = ex;
  if (fa !== undefined) r.failuresTotal = fa;
  for (const [k, s] of GAUGE_KEYS) {
    const v = num(d[k]);
    if (v !== undefined) r.gauges[s] = v;
  }
  const h = d.hash_time_ms as { buckets?: unknown; bounds?: unknown } | undefined;
  if (h && Array.isArray(h.buckets) && h.buckets.every((b) => num(b) !== undefined)) {
    const bounds = Array.isArray(h.bounds) && h.bounds.every((b) => num(b) !== undefined) ? h.bounds.map((b) => num(b)!) : [...HASH_TIME_BUCKETS_MS];
    const buckets = h.buckets.map((b) => num(b)!);
    // The contract lists +Inf as the last bucket; tolerate a list without it.
    if (buckets.length === bounds.length + 1 || buckets.length === bounds.length) r.hashCumulative = { bounds: bounds.slice(0, Math.min(bounds.length, buckets.length)), buckets: buckets.length === bounds.length ? [...buckets, buckets[buckets.length - 1]!] : buckets };
  }
  if (r.extractionsTotal === undefined && r.hashCumulative === undefined && Object.keys(r.gauges).length === 0) return new SourceProblem('no-data', `${where} answered JSON without any known metric`);
  return r;
}

function family(fams: PromFamily[], name: string): PromFamily | undefined {
  return fams.find((f) => f.name === name);
}

function sumValues(f: PromFamily | undefined): number | undefined {
  if (!f || f.metrics.length === 0) return undefined;
  let s = 0;
  for (const m of f.metrics) {
    const v = num(m.value);
    if (v === undefined) return undefined;
    s += v;
  }
  return s;
}

function maxValue(f: PromFamily | undefined): number | undefined {
  if (!f) return undefined;
  let best: number | undefined;
  for (const m of f.metrics) {
    const v = num(m.value);
    if (v !== undefined && (best === undefined || v > best)) best = v;
  }
  return best;
}

/** Cumulative histogram buckets by upper bound (summed over label sets), +Inf last. */
export function bucketsFromLe(pairs: [string, number][]): { bounds: number[]; buckets: number[] } | undefined {
  const byLe = new Map<number, number>();
  for (const [le, v] of pairs) {
    const bound = le === '+Inf' || le === 'Inf' ? Number.POSITIVE_INFINITY : Number(le);
    if (Number.isNaN(bound)) continue;
    byLe.set(bound, (byLe.get(bound) ?? 0) + v);
  }
  if (!byLe.has(Number.POSITIVE_INFINITY) || byLe.size < 2) return undefined;
  const sorted = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  return { bounds: sorted.slice(0, -1).map(([b]) => b), buckets: sorted.map(([, v]) => v) };
}

/** A reading from Prometheus exposition text with the demo's metric names, or a problem. */
export function readingFromPromText(text: string, where: string): RawReading | SourceProblem {
  let fams: PromFamily[];
  try {
    fams = parsePrometheusTextFormat(text);
  } catch (e) {
    return new SourceProblem('error', `${where} did not answer the Prometheus text format (${(e as Error).message.split('\n')[0]})`);
  }
  const meaningful = text.split(/\r?\n/).some((l) => l.trim() !== '' && !l.startsWith('#'));
  if (fams.length === 0) return new SourceProblem(meaningful ? 'error' : 'no-data', meaningful ? `${where} did not answer the Prometheus text format` : `${where} answered no metrics`);
  const r: RawReading = { gauges: {} };
  const ex = sumValues(family(fams, PROM.extractions));
  const fa = sumValues(family(fams, PROM.extractionFailures));
  if (ex !== undefined) r.extractionsTotal = ex;
  if (fa !== undefined) r.failuresTotal = fa;
  const gauges: [string, Signal][] = [[PROM.queue, 'low_confidence_queue'], [PROM.cpu, 'cpu_percent'], [PROM.memory, 'memory_percent'], [PROM.disk, 'disk_used_percent']];
  for (const [name, s] of gauges) {
    const v = maxValue(family(fams, name));
    if (v !== undefined) r.gauges[s] = v;
  }
  const h = family(fams, PROM.hashTime);
  if (h?.type === 'HISTOGRAM') {
    const pairs: [string, number][] = [];
    for (const m of h.metrics) for (const [le, v] of Object.entries(m.buckets ?? {})) pairs.push([le, num(v) ?? 0]);
    const b = bucketsFromLe(pairs);
    if (b) r.hashCumulative = b;
  }
  const info = family(fams, PROM.info)?.metrics[0]?.labels?.version;
  if (info) r.version = info;
  const start = maxValue(family(fams, 'process_start_time_seconds'));
  if (start !== undefined) r.identity = `start:${start}`;
  if (r.extractionsTotal === undefined && r.hashCumulative === undefined && Object.keys(r.gauges).length === 0) return new SourceProblem('no-data', `${where} answered none of the dhash metrics`);
  return r;
}
