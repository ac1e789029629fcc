// The contract between the embedded dhash service (src/demo) and the metric sources
// (src/metrics): names, units and the hash-time histogram's bucket bounds. Real services that
// expose other names map them in the runbook (prometheus queries, command sources).

/** Upper bounds (ms) of the hash-time histogram buckets; +Inf is implied after the last. */
export const HASH_TIME_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000] as const;

/** Prometheus metric names the demo service exposes (text format, `?format=prometheus`). */
export const PROM = {
  extractions: 'dhash_extractions_total',
  extractionFailures: 'dhash_extraction_failures_total',
  hashTime: 'dhash_hash_time_ms', // histogram: _bucket{le=...}, _sum, _count
  queue: 'dhash_low_confidence_queue',
  healthOk: 'dhash_health_ok', // gauge 1 / 0
  cpu: 'dhash_process_cpu_percent',
  memory: 'dhash_process_memory_percent',
  rss: 'process_resident_memory_bytes',
  disk: 'dhash_disk_used_percent',
  info: 'dhash_release_info', // gauge 1 with label version
} as const;

/** The JSON body of GET /metrics (the default format). Counters are totals since start. */
export interface ServiceMetricsJson {
  service: 'dhash';
  version: string;
  pid: number;
  uptime_seconds: number;
  health: { status: 'ok' | 'failing'; reason?: string };
  extractions_total: number;
  extraction_failures_total: number;
  /** Cumulative bucket counts aligned with HASH_TIME_BUCKETS_MS, then +Inf as the last entry. */
  hash_time_ms: { buckets: number[]; bounds: number[]; count: number; sum: number };
  low_confidence_queue: number;
  cpu_percent: number;
  memory_percent: number;
  memory_rss_bytes: number;
  disk_used_percent: number;
}

/** The JSON body of GET /health. Status 200 when ok, 503 when failing. */
export interface ServiceHealthJson {
  status: 'ok' | 'failing';
  version: string;
  reason?: string;
}
