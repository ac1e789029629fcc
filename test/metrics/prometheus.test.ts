// A real Prometheus (Debian package `prometheus`, binary /usr/bin/prometheus) scraping a loopback
// dhash service every second; the prometheus source and the monitor query it through PromQL.
// Skips, saying so, only when the binary is absent.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/logger.js';
import { systemClock } from '../../src/domain/clock.js';
import { createMetricSource } from '../../src/metrics/sources.js';
import type { Sample } from '../../src/metrics/types.js';
import { Monitor, type RollbackRequest } from '../../src/services/monitor.js';
import { shippedEnv } from '../gates/sim.js';
import { freePort } from '../helpers/cli.js';
import { FakeService, type TestServer } from './servers.js';

function findPrometheus(): string | undefined {
  if (process.env.PROMETHEUS_BIN && existsSync(process.env.PROMETHEUS_BIN)) return process.env.PROMETHEUS_BIN;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'prometheus'))) return join(dir, 'prometheus');
  return undefined;
}

const bin = findPrometheus();
const title = bin ? `real Prometheus (${bin})` : 'real Prometheus — SKIPPED: no prometheus binary on PATH (apt-get install prometheus; binary /usr/bin/prometheus)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!bin)(title, () => {
  let svc: FakeService;
  let server: TestServer;
  let prom: ChildProcess | undefined;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    svc = new FakeService();
    server = await svc.serve();
    dir = mkdtempSync(join(tmpdir(), 'prom-test-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: dhash',
        '    metrics_path: /metrics',
        '    params: { format: [prometheus] }',
        `    static_configs: [ { targets: ['127.0.0.1:${server.port}'] } ]`,
        '',
      ].join('\n'),
    );
    prom = spawn(bin!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
    for (let i = 0; i < 150; i++) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return;
      } catch {
        /* not up yet */
      }
      await sleep(200);
    }
    throw new Error('prometheus did not become ready in 30 s');
  }, 40_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const gone = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function nextSample(src: ReturnType<typeof createMetricSource>, want: (s: Sample) => boolean): Promise<Sample> {
    for (let i = 0; i < 60; i++) {
      const o = await src.read();
      if (o.status === 'ok' && want(o.sample)) return o.sample;
      await sleep(500);
    }
    throw new Error('no matching sample from Prometheus within 30 s');
  }

  it('counter deltas, histogram deltas and gauges come through PromQL', async () => {
    const src = createMetricSource({ kind: 'prometheus', url, timeout_ms: 3000 });
    svc.queue = 42;
    svc.traffic(100, 300);
    await nextSample(src, (s) => s.values.low_confidence_queue === 42);
    svc.traffic(200, 2200, 20);
    // Once Prometheus has scraped the new totals, the sample's deltas are exactly the new traffic.
    const s = await nextSample(src, (x) => (x.extractions ?? 0) > 0);
    expect(s.extractions).toBe(200);
    expect(s.failures).toBe(20);
    expect(s.values.extraction_failure_rate).toBeCloseTo(10, 6);
    expect(s.hash!.counts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(s.values.hash_time_ms).toBeGreaterThan(2000);
  });

  it('a query Prometheus rejects, and a server that is gone, are errors', async () => {
    const bad = await createMetricSource({ kind: 'prometheus', url, timeout_ms: 3000, queries: { low_confidence_queue: 'max(' } }).read();
    expect(bad.status).toBe('error');
    if (bad.status !== 'ok') expect(bad.detail).toMatch(/rejected the query/);
    const gone = await createMetricSource({ kind: 'prometheus', url: 'http://127.0.0.1:1', timeout_ms: 500 }).read();
    expect(gone.status).toBe('error');
  });

  it('the monitor, reading through PromQL, rolls back once when the queue passes 1000', async () => {
    svc.queue = 10;
    const logs = join(dir, 'logs');
    const journal = AuditLog.open(logs, 'monitor', 'production');
    const rollbacks: RollbackRequest[] = [];
    const env = shippedEnv('production');
    const gates = { ...env, monitoring: { ...env.monitoring, polling: [{ intervalSeconds: 0.5 }], durationMinutes: 0.5 } };
    const m = new Monitor(
      {
        clock: systemClock,
        health: async () => ({ ok: true, detail: 'ok' }),
        source: createMetricSource({ kind: 'prometheus', url, timeout_ms: 2000 }),
        rollback: async (r) => {
          rollbacks.push(r);
          return { ok: true, detail: 'fake restore' };
        },
        journal,
      },
      { env: 'production', gates, verifyIntervalMs: 50 },
    );
    setTimeout(() => (svc.queue = 1500), 1500);
    const s = await m.run();
    journal.close();
    expect(rollbacks).toHaveLength(1);
    expect(s.breaches[0]).toMatchObject({ gate: 'low_confidence_queue', value: 1500, threshold: 1000 });
    expect(s.result).toBe('rolled-back');
  });
});
