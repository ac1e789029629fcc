// Small real HTTP servers on 127.0.0.1 for the metric-source tests: a contract-JSON service whose
// counters the test drives, and faulty ones (hang, 500, garbage, empty, slow).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HASH_TIME_BUCKETS_MS, type ServiceMetricsJson } from '../../src/domain/metrics-contract.js';

export interface TestServer {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/** Serve a handler on a free loopback port. */
export function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  return new Promise((resolve) => {
    const server: Server = createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** The state behind a fake dhash /metrics: totals since "start", a pid, gauges. */
export class FakeService {
  pid = 1000;
  started = Date.now();
  extractions = 0;
  failures = 0;
  /** Per-bucket (non-cumulative) counts, +Inf last. */
  perBucket = new Array<number>(HASH_TIME_BUCKETS_MS.length + 1).fill(0);
  queue = 0;
  cpu = 10;
  healthy = true;
  version = '1.1.0';

  /** Record n extractions of `ms` each, `failed` of them failing. */
  traffic(n: number, ms: number, failed = 0): void {
    this.extractions += n;
    this.failures += failed;
    let i = HASH_TIME_BUCKETS_MS.findIndex((b) => ms <= b);
    if (i < 0) i = HASH_TIME_BUCKETS_MS.length;
    this.perBucket[i]! += n;
  }

  /** A restart: new pid, counters from zero. */
  restart(): void {
    this.pid++;
    this.started = Date.now();
    this.extractions = 0;
    this.failures = 0;
    this.perBucket.fill(0);
  }

  json(): ServiceMetricsJson {
    let c = 0;
    const buckets = this.perBucket.map((n) => (c += n));
    return {
      service: 'dhash',
      version: this.version,
      pid: this.pid,
      uptime_seconds: (Date.now() - this.started) / 1000,
      health: { status: this.healthy ? 'ok' : 'failing' },
      extractions_total: this.extractions,
      extraction_failures_total: this.failures,
      hash_time_ms: { buckets, bounds: [...HASH_TIME_BUCKETS_MS], count: c, sum: 0 },
      low_confidence_queue: this.queue,
      cpu_percent: this.cpu,
      memory_percent: 20,
      memory_rss_bytes: 1e7,
      disk_used_percent: 30,
    };
  }

  prometheus(): string {
    let c = 0;
    const lines = [
      '# TYPE dhash_extractions_total counter',
      `dhash_extractions_total ${this.extractions}`,
      '# TYPE dhash_extraction_failures_total counter',
      `dhash_extraction_failures_total ${this.failures}`,
      '# TYPE dhash_hash_time_ms histogram',
      ...this.perBucket.map((n, i) => `dhash_hash_time_ms_bucket{le="${i < HASH_TIME_BUCKETS_MS.length ? HASH_TIME_BUCKETS_MS[i] : '+Inf'}"} ${(c += n)}`),
      `dhash_hash_time_ms_sum 0`,
      `dhash_hash_time_ms_count ${c}`,
      '# TYPE dhash_low_confidence_queue gauge',
      `dhash_low_confidence_queue ${this.queue}`,
      '# TYPE dhash_process_cpu_percent gauge',
      `dhash_process_cpu_percent ${this.cpu}`,
      '# TYPE dhash_health_ok gauge',
      `dhash_health_ok ${this.healthy ? 1 : 0}`,
      '# TYPE dhash_release_info gauge',
      `dhash_release_info{version="${this.version}"} 1`,
    ];
    return `${lines.join('\n')}\n`;
  }

  /** Serve /metrics (JSON, or ?format=prometheus) and /health. */
  serve(): Promise<TestServer> {
    return serve((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/health') {
        res.writeHead(this.healthy ? 200 : 503, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ status: this.healthy ? 'ok' : 'failing', version: this.version }));
      }
      if (u.pathname === '/metrics' && u.searchParams.get('format') === 'prometheus') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        return res.end(this.prometheus());
      }
      if (u.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(this.json()));
      }
      res.writeHead(404).end();
    });
  }
}

/** Faulty endpoints: /hang never answers, /500, /garbage, /empty, /slow answers after 1.5 s, /html. */
export function faultyServer(): Promise<TestServer> {
  return serve((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    if (p === '/hang') return; // never answers
    if (p === '/500') return void res.writeHead(500).end('internal error');
    if (p === '/garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"extractions_total": 12, oops');
    if (p === '/garbage-text') return void res.writeHead(200).end('this is <html> not metrics at all {{{');
    if (p === '/empty') return void res.writeHead(200).end('');
    if (p === '/empty-json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (p === '/slow') {
      const t = setTimeout(() => res.writeHead(200).end('{"low_confidence_queue": 1}'), 1500);
      res.on('close', () => clearTimeout(t));
      return;
    }
    res.writeHead(404).end();
  });
}
