// Each shipped release's behaviour is visible in its own metrics: healthy ones stay inside the
// production gates, each bad one trips its seeds' gate within seconds. Real HTTP servers on
// 127.0.0.1 (the service in-process; the CLI tests run it as a child process).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRelease } from '../../src/demo/release.js';
import { createDhashService, type DhashService } from '../../src/demo/service.js';
import { DEFAULT_SETTINGS } from '../../src/demo/settings.js';
import type { ServiceMetricsJson } from '../../src/domain/metrics-contract.js';
import { REPO } from '../helpers/cli.js';
import { getJson, getText, windowP95 } from './service-helpers.js';
import { truthy, waitUntil } from '../helpers/frames.js';

const running: DhashService[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.close()));
});

async function start(version: string): Promise<string> {
  const release = readRelease(join(REPO, 'releases', version));
  expect(release.version).toBe(version);
  const svc = createDhashService({ release, settings: { ...DEFAULT_SETTINGS }, port: 0, diskPath: REPO, seed: 42 });
  running.push(svc);
  const port = await svc.listen();
  return `http://127.0.0.1:${port}`;
}

const metrics = async (base: string): Promise<ServiceMetricsJson> => (await getJson<ServiceMetricsJson>(`${base}/metrics`)).body;

describe('shipped releases', () => {
  it.each(['1.0.0', '1.1.0'])('%s stays healthy and inside the production gates', async (version) => {
    const base = await start(version);
    const first = await metrics(base);
    // A window of traffic, counted rather than timed: 40 extractions since the first read.
    const m = await waitUntil(async () => {
      const x = await metrics(base);
      return x.extractions_total - first.extractions_total >= 40 ? x : undefined;
    }, truthy, '40 extractions since the first read', { ms: 10_000, tolerateErrors: true, intervalMs: 100 });
    const h = await getJson(`${base}/health`);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', version });
    expect(m.version).toBe(version);
    expect(m.extractions_total).toBeGreaterThanOrEqual(40);
    expect(m.extraction_failures_total / m.extractions_total).toBeLessThan(0.05);
    expect(windowP95(first.hash_time_ms, m.hash_time_ms)).toBeLessThan(2000);
    expect(m.low_confidence_queue).toBeLessThan(1000);
  });

  it('1.2.0-flaky answers its first health checks, then fails them with a reason', async () => {
    const base = await start('1.2.0-flaky');
    expect((await getJson(`${base}/health`)).status).toBe(200);
    const failing = await waitUntil(async () => {
      const h = await getJson<{ status: string; reason?: string }>(`${base}/health`);
      return h.status === 503 ? h.body : undefined;
    }, truthy, '503 from /health', { ms: 8000, tolerateErrors: true, intervalMs: 100 });
    expect(failing.status).toBe('failing');
    expect(failing.reason).toMatch(/1\.2\.0-flaky/);
    const prom = await getText(`${base}/metrics?format=prometheus`);
    expect(prom.text).toMatch(/^dhash_health_ok\{version="1\.2\.0-flaky"\} 0$/m);
  });

  it('1.2.0-failing fails more than 5 % of its extractions', async () => {
    const base = await start('1.2.0-failing');
    const m = await waitUntil(async () => {
      const x = await metrics(base);
      return x.extractions_total >= 80 && x.extraction_failures_total / x.extractions_total > 0.05 ? x : undefined;
    }, truthy, 'a failure rate above 5 %', { ms: 10_000, tolerateErrors: true, intervalMs: 100 });
    expect(m.extraction_failures_total).toBeGreaterThan(4);
  });

  it('1.2.0-slow has a p95 hash time above 2000 ms over a window', async () => {
    const base = await start('1.2.0-slow');
    // Past the first hashes (counted, not timed): the window starts once 20 have been timed.
    const before = await waitUntil(async () => {
      const x = await metrics(base);
      return x.extractions_total >= 20 ? x : undefined;
    }, truthy, '20 extractions', { ms: 10_000, tolerateErrors: true, intervalMs: 100 });
    const p95 = await waitUntil(async () => {
      const p = windowP95(before.hash_time_ms, (await metrics(base)).hash_time_ms);
      return p > 2000 ? p : undefined;
    }, truthy, 'p95 above 2000 ms', { ms: 8000, tolerateErrors: true, intervalMs: 100 });
    expect(p95).toBeGreaterThanOrEqual(2500);
    const prom = await getText(`${base}/metrics?format=prometheus`);
    const le2000 = Number(/^dhash_hash_time_ms_bucket\{le="2000",version="1\.2\.0-slow"\} (\d+)$/m.exec(prom.text)?.[1]);
    const count = Number(/^dhash_hash_time_ms_count\{version="1\.2\.0-slow"\} (\d+)$/m.exec(prom.text)?.[1]);
    expect(count).toBeGreaterThan(0);
    expect(le2000 / count).toBeLessThan(0.95);
  });

  it('1.2.0-backlog grows its low-confidence queue past 1000', async () => {
    const base = await start('1.2.0-backlog');
    const q = await waitUntil(async () => {
      const x = await metrics(base);
      return x.low_confidence_queue > 1000 ? x.low_confidence_queue : undefined;
    }, truthy, 'a queue above 1000', { ms: 8000, tolerateErrors: true, intervalMs: 100 });
    expect(q).toBeGreaterThan(1000);
    const prom = await getText(`${base}/metrics?format=prometheus`);
    expect(Number(/^dhash_low_confidence_queue\{version="1\.2\.0-backlog"\} (\d+)$/m.exec(prom.text)?.[1])).toBeGreaterThan(1000);
  });

  it('serves the golden hashes and refuses unknown ones', async () => {
    const base = await start('1.0.0');
    expect((await getJson(`${base}/hash?golden=checker`)).body).toEqual({ name: 'checker', hash: '2424db2424db0024' });
    const bad = await getJson<{ error: string }>(`${base}/hash?golden=nope`);
    expect(bad.status).toBe(404);
    expect(bad.body.error).toMatch(/nope/);
    expect((await getText(`${base}/nowhere`)).status).toBe(404);
  });
});
