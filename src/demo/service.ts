// The embedded dhash service: an HTTP server on 127.0.0.1 and a light worker loop that hashes a
// steady stream of generated images, matches them against the golden set and queues ambiguous
// matches for review. It measures itself (hash time histogram, extractions and failures, queue,
// CPU, memory, disk) and obeys its release's profile, so a bad release really misbehaves.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HASH_TIME_BUCKETS_MS, PROM, type ServiceHealthJson, type ServiceMetricsJson } from '../domain/metrics-contract.js';
import { dhash, hamming, hashHex, prng, type GrayImage } from './dhash.js';
import { GOLDEN_IMAGES } from './golden.js';
import type { ReleaseFile } from './release.js';
import type { ServiceSettings } from './settings.js';

/** What the service needs to run one release. */
export interface DhashServiceOptions {
  release: ReleaseFile;
  settings: ServiceSettings;
  port: number;
  host?: string;
  /** Folder whose file system is reported as disk usage. */
  diskPath: string;
  /** A line of the service's own log. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  seed?: number;
  /** Milliseconds between worker ticks (the rate is spread over ticks). */
  tickMs?: number;
  /** The environment: every Prometheus series carries env and version labels, as a shared Prometheus needs. */
  env?: string;
}

/** A running (or ready to run) service. */
export interface DhashService {
  listen(): Promise<number>;
  close(): Promise<void>;
  metricsJson(): ServiceMetricsJson;
  healthJson(): ServiceHealthJson;
}

interface Golden {
  name: string;
  img: GrayImage;
  hash: bigint;
}

/** Build the service for a release; nothing runs until listen(). */
export function createDhashService(opts: DhashServiceOptions): DhashService {
  const { release, settings } = opts;
  const profile = release.profile;
  const log = opts.log ?? (() => undefined);
  const rand = prng(opts.seed ?? (Date.now() & 0x7fffffff));
  const tickMs = opts.tickMs ?? 100;
  const golden: Golden[] = Object.entries(GOLDEN_IMAGES).map(([name, make]) => {
    const img = make();
    return { name, img, hash: dhash(img) };
  });
  const started = Date.now();
  let lastTick = Date.now();

  // Totals since start: the JSON view; prom-client keeps the same numbers for the text view.
  let extractions = 0;
  let failures = 0;
  let queue = 0;
  let carryImages = 0;
  let carryReview = 0;
  let carryGrowth = 0;
  const buckets = new Array<number>(HASH_TIME_BUCKETS_MS.length + 1).fill(0);
  let hashCount = 0;
  let hashSum = 0;
  let cpuPercent = 0;
  let lastCpu = process.cpuUsage();
  let lastCpuAt = process.hrtime.bigint();

  const registry = new Registry();
  registry.setDefaultLabels({ ...(opts.env ? { env: opts.env } : {}), version: release.version });
  const cExtractions = new Counter({ name: PROM.extractions, help: 'Image extractions attempted.', registers: [registry] });
  const cFailures = new Counter({ name: PROM.extractionFailures, help: 'Image extractions that failed.', registers: [registry] });
  const cMatches = new Counter({ name: 'dhash_golden_matches_total', help: 'Images matched to a golden image with confidence.', registers: [registry] });
  const cReview = new Counter({ name: 'dhash_low_confidence_total', help: 'Images sent to the low-confidence review queue.', registers: [registry] });
  const hHash = new Histogram({ name: PROM.hashTime, help: 'Time to extract and hash one image, in milliseconds.', buckets: [...HASH_TIME_BUCKETS_MS], registers: [registry] });
  const collectors: [string, string, () => number][] = [
    [PROM.queue, 'Items waiting in the low-confidence review queue.', () => queue],
    [PROM.healthOk, '1 when the service reports itself healthy.', () => (healthJson().status === 'ok' ? 1 : 0)],
    [PROM.cpu, 'Process CPU use, percent of one core.', () => cpuPercent],
    [PROM.memory, 'Resident memory, percent of the machine.', () => memoryPercent()],
    [PROM.rss, 'Resident memory in bytes.', () => process.memoryUsage().rss],
    [PROM.disk, 'Disk used on the deployment folder\'s file system, percent.', () => diskUsedPercent(opts.diskPath)],
  ];
  for (const [name, help, get] of collectors) {
    new Gauge({ name, help, registers: [registry], collect() { this.set(get()); } });
  }
  new Gauge({ name: PROM.info, help: 'The running release.', labelNames: ['version'], registers: [registry] }).set({ version: release.version }, 1);

  const misbehaving = (): boolean => Date.now() - started >= profile.misbehave_after_ms;

  function perturb(img: GrayImage): GrayImage {
    // Most images are mild variants of a golden one; some are heavily degraded (ambiguous or no match).
    const noise = rand() < 0.7 ? rand() * 60 : 60 + rand() * 400;
    const bias = (rand() - 0.5) * 40;
    const px = new Uint8Array(img.pixels.length);
    for (let i = 0; i < px.length; i++) {
      const v = img.pixels[i]! + bias + (rand() - 0.5) * 2 * noise;
      px[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
    return { width: img.width, height: img.height, pixels: px };
  }

  function observeHash(ms: number): void {
    hashCount++;
    hashSum += ms;
    for (let i = 0; i < HASH_TIME_BUCKETS_MS.length; i++) if (ms <= HASH_TIME_BUCKETS_MS[i]!) buckets[i]!++;
    buckets[HASH_TIME_BUCKETS_MS.length]!++;
    hHash.observe(ms);
  }

  function processOne(): void {
    const g = golden[Math.floor(rand() * golden.length)]!;
    const img = perturb(g.img);
    extractions++;
    cExtractions.inc();
    const bad = misbehaving() && rand() < profile.failure_rate;
    const baseline = rand() < 0.002; // a real service fails now and then
    if (bad || baseline) {
      failures++;
      cFailures.inc();
      return;
    }
    const t0 = performance.now();
    const h = dhash(img);
    let best = 64;
    for (const x of golden) best = Math.min(best, hamming(x.hash, h));
    let ms = performance.now() - t0;
    // A slow release waits on something (simulated): the wait is measured, not burnt on the CPU.
    if (misbehaving() && profile.extra_hash_latency_ms > 0) ms += profile.extra_hash_latency_ms + rand() * profile.latency_jitter_ms;
    observeHash(ms);
    if (best <= settings.matchMaxDistance) cMatches.inc();
    else if (best >= settings.band.min && best <= settings.band.max) {
      queue++;
      cReview.inc();
    }
  }

  function tick(): void {
    const now = Date.now();
    const dt = Math.min(5000, now - lastTick) / 1000;
    lastTick = now;
    carryImages += (profile.images_per_second ?? settings.imagesPerSecond) * dt;
    while (carryImages >= 1) {
      carryImages -= 1;
      processOne();
    }
    carryReview += settings.reviewRatePerSecond * dt;
    const reviewed = Math.min(queue, Math.floor(carryReview));
    carryReview -= Math.floor(carryReview);
    queue -= reviewed;
    if (misbehaving() && profile.queue_growth_per_second > 0) {
      carryGrowth += profile.queue_growth_per_second * dt;
      queue += Math.floor(carryGrowth);
      carryGrowth -= Math.floor(carryGrowth);
    }
    sampleCpu();
    reportProblems(now);
  }

  // The service's own log names what goes wrong (operators grep it for ERROR|CRITICAL), at most
  // once per 5 s: failure bursts above 5 %, the queue crossing 1000, health turning bad or good.
  let reported = { at: Date.now(), extractions: 0, failures: 0, healthy: true, queueHigh: false };
  function reportProblems(now: number): void {
    if (now - reported.at < 5000) return;
    const tried = extractions - reported.extractions;
    const failed = failures - reported.failures;
    if (tried > 0 && failed / tried > 0.05) log('extraction failures', { level: 'ERROR', failed, of: tried, seconds: Math.round((now - reported.at) / 1000) });
    const queueHigh = queue > 1000;
    if (queueHigh && !reported.queueHigh) log('low-confidence queue above 1000', { level: 'ERROR', queue });
    const h = healthJson();
    if (h.status !== 'ok' && reported.healthy) log('health check failing', { level: 'CRITICAL', reason: h.reason ?? h.status });
    if (h.status === 'ok' && !reported.healthy) log('health check ok again', { level: 'INFO' });
    reported = { at: now, extractions, failures, healthy: h.status === 'ok', queueHigh };
  }

  function sampleCpu(): void {
    const at = process.hrtime.bigint();
    const wallUs = Number(at - lastCpuAt) / 1000;
    if (wallUs < 1_000_000) return;
    const cpu = process.cpuUsage(lastCpu);
    cpuPercent = Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10;
    lastCpu = process.cpuUsage();
    lastCpuAt = at;
  }

  function healthJson(): ServiceHealthJson {
    const up = Date.now() - started;
    if (profile.health_fail_after_ms !== null && up >= profile.health_fail_after_ms) {
      return { status: 'failing', version: release.version, reason: `worker pool self-check failing in release ${release.version}` };
    }
    if (Date.now() - lastTick > 5000) return { status: 'failing', version: release.version, reason: 'worker loop stalled for more than 5 s' };
    return { status: 'ok', version: release.version };
  }

  function metricsJson(): ServiceMetricsJson {
    const h = healthJson();
    return {
      service: 'dhash',
      version: release.version,
      pid: process.pid,
      uptime_seconds: Math.round((Date.now() - started) / 100) / 10,
      health: h.reason ? { status: h.status, reason: h.reason } : { status: h.status },
      extractions_total: extractions,
      extraction_failures_total: failures,
      hash_time_ms: { buckets: [...buckets], bounds: [...HASH_TIME_BUCKETS_MS], count: hashCount, sum: Math.round(hashSum * 1000) / 1000 },
      low_confidence_queue: queue,
      cpu_percent: cpuPercent,
      memory_percent: memoryPercent(),
      memory_rss_bytes: process.memoryUsage().rss,
      disk_used_percent: diskUsedPercent(opts.diskPath),
    };
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'content-type': typeof body === 'string' ? registry.contentType : 'application/json', 'cache-control': 'no-store' });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET is served' });
    switch (url.pathname) {
      case '/health': {
        const h = healthJson();
        return send(res, h.status === 'ok' ? 200 : 503, h);
      }
      case '/version':
        // Who is running: the rollback reads this to prove the backup's release runs in a new process.
        return send(res, 200, { service: 'dhash', version: release.version, pid: process.pid, started_at: new Date(started).toISOString() });
      case '/metrics':
        if (wantsPromText(url.searchParams.get('format'), req.headers.accept)) return send(res, 200, await registry.metrics());
        return send(res, 200, metricsJson());
      case '/hash': {
        const name = url.searchParams.get('golden');
        const g = golden.find((x) => x.name === name);
        if (!name) return send(res, 400, { error: 'missing ?golden=<name>', golden: golden.map((x) => x.name) });
        if (!g) return send(res, 404, { error: `no golden image named "${name}"`, golden: golden.map((x) => x.name) });
        return send(res, 200, { name: g.name, hash: hashHex(dhash(g.img)) });
      }
      case '/':
        return send(res, 200, { service: 'dhash', version: release.version, endpoints: ['/health', '/version', '/metrics', '/metrics?format=prometheus', '/metrics?format=json', '/hash?golden=<name>'] });
      default:
        return send(res, 404, { error: `no such endpoint: ${url.pathname}` });
    }
  }

  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    healthJson,
    metricsJson,
    listen: () =>
      new Promise((resolve, reject) => {
        server = createServer((req, res) => {
          handle(req, res).catch((e: unknown) => send(res, 500, { error: (e as Error).message }));
        });
        server.keepAliveTimeout = 2000;
        server.once('error', reject);
        server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
          timer = setInterval(tick, tickMs);
          const addr = server!.address();
          const port = typeof addr === 'object' && addr ? addr.port : opts.port;
          log('listening', { port, version: release.version });
          resolve(port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (timer) clearInterval(timer);
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Prometheus text for ?format=prometheus, or for a scraper whose Accept asks for text/plain or
 * OpenMetrics without JSON; JSON for ?format=json, Accept: application/json, and anything else
 * (curl's and browsers' *\/*), as before.
 */
export function wantsPromText(format: string | null, accept: string | undefined): boolean {
  if (format === 'prometheus') return true;
  if (format === 'json') return false;
  const a = (accept ?? '').toLowerCase();
  if (a.includes('application/json')) return false;
  return a.includes('text/plain') || a.includes('application/openmetrics-text');
}

function memoryPercent(): number {
  return Math.round((process.memoryUsage().rss / totalmem()) * 1000) / 10;
}

function diskUsedPercent(path: string): number {
  try {
    const s = statfsSync(path);
    return s.blocks > 0 ? Math.round(((s.blocks - s.bfree) / s.blocks) * 1000) / 10 : 0;
  } catch {
    return 0;
  }
}
