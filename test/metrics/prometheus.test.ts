// A real Prometheus (Debian package `prometheus`, binary /usr/bin/prometheus) scraping a loopback
// dhash service every second; the prometheus source and the monitor query it through PromQL.
// Skips, saying so, only when the binary is absent.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/logger.js';
import { systemClock } from '../../src/domain/clock.js';
import { createMetricSource } from '../../src/metrics/sources.js';
import type { Sample } from '../../src/metrics/types.js';
import { Monitor, type RollbackRequest } from '../../src/usecases/monitor.js';
import { shippedEnv } from '../gates/sim.js';
import { findPrometheus, startPrometheus, type PromServer } from './prom-server.js';
import { waitUntil } from '../helpers/frames.js';
import { FakeService, type TestServer } from './servers.js';

const bin = findPrometheus();
const title = bin ? `real Prometheus (${bin})` : 'real Prometheus — SKIPPED: no prometheus binary on PATH (apt-get install prometheus; binary /usr/bin/prometheus)';

describe.skipIf(!bin)(title, () => {
  let svc: FakeService;
  let server: TestServer;
  let prom: PromServer;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    svc = new FakeService();
    server = await svc.serve();
    prom = await startPrometheus(bin!, [`127.0.0.1:${server.port}`], ['params: { format: [prometheus] }']);
    url = prom.url;
    dir = prom.dir;
  }, 40_000);

  afterAll(async () => {
    await prom?.stop();
    await server?.close();
  });

  async function nextSample(src: ReturnType<typeof createMetricSource>, want: (s: Sample) => boolean, what: string): Promise<Sample> {
    const o = await waitUntil(() => src.read(), (x) => x.status === 'ok' && want(x.sample), `a sample from Prometheus with ${what}`, { ms: 30_000, show: (x) => JSON.stringify(x) });
    if (o.status !== 'ok') throw new Error('unreachable: waitUntil returned a sample that is not ok');
    return o.sample;
  }

  it('the failure rate, p95 and its observation counts are computed by PromQL; gauges as read', async () => {
    const src = createMetricSource({ kind: 'prometheus', url, timeout_ms: 3000, selector: '{job="dhash"}' }, { windows: { extraction_failure_rate: 0.5, hash_time_ms: 0.5 } });
    svc.queue = 42;
    await nextSample(src, (s) => s.values.low_confidence_queue === 42, 'the queue at 42');
    // Traffic that keeps flowing: 10 % failures, hashes around 2200 ms.
    const t = setInterval(() => svc.traffic(20, 2200, 2), 250);
    try {
      const s = await nextSample(src, (x) => (x.counts?.extraction_failure_rate ?? 0) >= 40 && (x.counts?.hash_time_ms ?? 0) >= 40, '40 extractions and 40 hashes counted');
      expect(s.values.extraction_failure_rate).toBeCloseTo(10, 0);
      expect(s.values.hash_time_ms).toBeGreaterThan(2000);
      expect(s.values.hash_time_ms).toBeLessThanOrEqual(2500);
      // Server-side values: no client-side deltas at all.
      expect(s.extractions).toBeUndefined();
      expect(s.hash).toBeUndefined();
    } finally {
      clearInterval(t);
    }
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
        // Windows start now: the previous test's failing traffic is not this release's data.
        source: createMetricSource({ kind: 'prometheus', url, timeout_ms: 2000 }, { since: Date.now() }),
        rollback: async (r) => {
          rollbacks.push(r);
          return { ok: true, detail: 'fake restore' };
        },
        journal,
      },
      { env: 'production', gates, verifyIntervalMs: 50 },
    );
    // The queue passes 1000 after two healthy polls (counted, not timed): the window has seen it below first.
    let okPolls = 0;
    m.subscribe((e) => {
      if (e.type === 'evaluation' && ++okPolls === 2) svc.queue = 1500;
    });
    const s = await m.run();
    expect(okPolls).toBeGreaterThan(2);
    journal.close();
    expect(rollbacks).toHaveLength(1);
    expect(s.breaches[0]).toMatchObject({ gate: 'low_confidence_queue', value: 1500, threshold: 1000 });
    expect(s.result).toBe('rolled-back');
  });
});
