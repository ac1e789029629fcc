// Metric sources against real loopback servers: contract JSON, exposition text and a command;
// deltas and counter resets; every faulty endpoint is an error or no-data outcome, never a throw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricSource } from '../../src/metrics/sources.js';
import type { SourceOutcome } from '../../src/metrics/types.js';
import { FakeService, faultyServer, type TestServer } from './servers.js';

let svc: FakeService;
let server: TestServer;
let faulty: TestServer;

beforeAll(async () => {
  svc = new FakeService();
  server = await svc.serve();
  faulty = await faultyServer();
});
afterAll(async () => {
  await server.close();
  await faulty.close();
});

function ok(o: SourceOutcome) {
  if (o.status !== 'ok') throw new Error(`expected a sample, got ${o.status}: ${o.detail}`);
  return o.sample;
}

describe.each([
  ['http-json', '/metrics'],
  ['prometheus-text', '/metrics?format=prometheus'],
] as const)('%s source', (kind, path) => {
  it('first read is a baseline; later reads are deltas; gauges as read', async () => {
    const src = createMetricSource({ kind, url: `${server.url}${path}`, timeout_ms: 2000 });
    svc.traffic(100, 300, 1);
    svc.queue = 7;
    const s1 = ok(await src.read());
    expect(s1.extractions).toBeUndefined();
    expect(s1.values.low_confidence_queue).toBe(7);
    svc.traffic(50, 2200, 5);
    const s2 = ok(await src.read());
    expect(s2.extractions).toBe(50);
    expect(s2.failures).toBe(5);
    expect(s2.values.extraction_failure_rate).toBeCloseTo(10, 6);
    expect(s2.hash!.counts.reduce((a, b) => a + b, 0)).toBe(50);
    // All 50 landed in the (2000, 2500] bucket: p95 interpolates to 2475.
    expect(s2.values.hash_time_ms).toBeCloseTo(2475, 6);
    expect(s2.version).toBe('1.1.0');
  });

  it('a restart (counters going backwards) re-bases: the new totals are the delta', async () => {
    const src = createMetricSource({ kind, url: `${server.url}${path}`, timeout_ms: 2000 });
    svc.traffic(500, 10);
    ok(await src.read());
    svc.restart();
    svc.traffic(20, 10, 2);
    const s = ok(await src.read());
    expect(s.reset).toBe(true);
    expect(s.extractions).toBe(20);
    expect(s.failures).toBe(2);
    expect(s.hash!.counts.every((c) => c >= 0)).toBe(true);
  });
});

describe('faulty endpoints are error or no-data, never an exception', () => {
  const cases: [string, 'http-json' | 'prometheus-text', string, 'error' | 'no-data', RegExp][] = [
    ['hangs', 'http-json', '/hang', 'error', /within 300 ms/],
    ['answers 500', 'http-json', '/500', 'error', /HTTP 500/],
    ['answers broken JSON', 'http-json', '/garbage', 'error', /did not answer JSON/],
    ['answers an empty body', 'http-json', '/empty', 'no-data', /empty answer/],
    ['answers {}', 'http-json', '/empty-json', 'no-data', /without any known metric/],
    ['is slower than the timeout', 'http-json', '/slow', 'error', /within 300 ms/],
    ['answers garbage text', 'prometheus-text', '/garbage-text', 'error', /Prometheus text format/],
    ['answers nothing (text)', 'prometheus-text', '/empty', 'no-data', /empty answer/],
    ['is not listening', 'http-json', 'CLOSED', 'error', /connection refused/],
  ];
  it.each(cases)('a server that %s', async (_name, kind, path, status, detail) => {
    const url = path === 'CLOSED' ? 'http://127.0.0.1:1/metrics' : `${faulty.url}${path}`;
    const src = createMetricSource({ kind, url, timeout_ms: 300 });
    const o = await src.read();
    expect(o.status).toBe(status);
    if (o.status !== 'ok') expect(o.detail).toMatch(detail);
  });

  it('refuses credentials in the URL without repeating them, and keeps query strings out of details', async () => {
    let msg = '';
    try {
      createMetricSource({ kind: 'http-json', url: `http://user:s3cr3tpw@127.0.0.1:${faulty.port}/500`, timeout_ms: 300 });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/credentials in the URL are not used; name environment variables/);
    expect(msg).not.toMatch(/s3cr3tpw/);
    const src = createMetricSource({ kind: 'http-json', url: `http://127.0.0.1:${faulty.port}/500?token=abc`, timeout_ms: 300 });
    const o = await src.read();
    expect(o.status).toBe('error');
    expect(JSON.stringify(o)).not.toMatch(/token=abc/);
  });
});

describe('command source', () => {
  it('reads the contract JSON a command prints', async () => {
    const json = JSON.stringify({ extractions_total: 10, extraction_failures_total: 1, low_confidence_queue: 3 });
    const src = createMetricSource({ kind: 'command', command: `node -e 'console.log(process.argv[1])' '${json}'`, timeout_ms: 10_000 });
    const s = ok(await src.read());
    expect(s.values.low_confidence_queue).toBe(3);
  });
  it('a failing, silent or hanging command is error / no-data', async () => {
    expect((await createMetricSource({ kind: 'command', command: 'exit 3', timeout_ms: 5000 }).read()).status).toBe('error');
    expect((await createMetricSource({ kind: 'command', command: 'true', timeout_ms: 5000 }).read()).status).toBe('no-data');
    const hang = await createMetricSource({ kind: 'command', command: 'sleep 5', timeout_ms: 300 }).read();
    expect(hang.status).toBe('error');
  });
});
