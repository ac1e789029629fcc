// Health probing against real HTTP servers on 127.0.0.1 and real commands.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth, waitForHealthy, type HealthSpec } from '../../src/probes/health.js';
import { freePort } from '../helpers/cli.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  })));
  servers = [];
});

/** A server whose answers come from a list (the last one repeats). */
async function serve(answers: { status: number; body: string; delayMs?: number }[]): Promise<string> {
  let i = 0;
  const s = createServer((_req, res) => {
    const a = answers[Math.min(i++, answers.length - 1)]!;
    setTimeout(() => {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    }, a.delayMs ?? 0);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const addr = s.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/health`;
}

const http = (url: string, extra: Partial<Extract<HealthSpec, { kind: 'http' }>> = {}): HealthSpec => ({ kind: 'http', url, expect_status: 200, timeout_ms: 1000, json_field: 'status', expect: 'ok', ...extra });
const ok = { status: 200, body: '{"status":"ok","version":"1.0.0"}' };
const failing = { status: 503, body: '{"status":"failing","reason":"worker pool down"}' };

describe('checkHealth', () => {
  it('is OK on the expected status and JSON field', async () => {
    const r = await checkHealth(http(await serve([ok])));
    expect(r.ok).toBe(true);
    expect(r.detail).toBe('HTTP 200, status="ok"');
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports a 503 with the service\'s reason', async () => {
    const r = await checkHealth(http(await serve([failing])));
    expect(r).toMatchObject({ ok: false, detail: 'HTTP 503, expected 200: worker pool down' });
  });

  it('is not OK when the field has another value or the body is not JSON', async () => {
    expect((await checkHealth(http(await serve([{ status: 200, body: '{"status":"degraded"}' }])))).detail).toBe('HTTP 200, status="degraded", expected "ok"');
    expect((await checkHealth(http(await serve([{ status: 200, body: 'hello' }])))).detail).toBe('HTTP 200 but the body is not JSON');
  });

  it('gives up after its timeout', async () => {
    const r = await checkHealth(http(await serve([{ ...ok, delayMs: 1500 }])), { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, detail: 'no answer within 200 ms' });
  });

  it('follows a redirect to the health endpoint, as fetch did', async () => {
    const target = await serve([ok]);
    const s = createServer((_req, res) => {
      res.writeHead(301, { location: target });
      res.end();
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const addr = s.address();
    const r = await checkHealth(http(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/old-health`));
    expect(r).toMatchObject({ ok: true, detail: 'HTTP 200, status="ok"' });
  });

  it('times out a body that starts but never ends, and opens a new connection for every check', async () => {
    const ports = new Set<number>();
    const s = createServer((req, res) => {
      ports.add(req.socket.remotePort ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/stall') res.write('{"status":');
      else res.end('{"status":"ok"}');
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const addr = s.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    expect(await checkHealth(http(`${base}/stall`), { timeoutMs: 200 })).toMatchObject({ ok: false, detail: 'no answer within 200 ms' });
    for (let i = 0; i < 3; i++) expect((await checkHealth(http(`${base}/health`))).ok).toBe(true);
    expect(ports.size).toBe(4);
  });

  it('says so when nothing listens', async () => {
    const r = await checkHealth(http(`http://127.0.0.1:${await freePort()}/health`));
    expect(r).toMatchObject({ ok: false, detail: 'connection refused (nothing listening)' });
  });

  it('runs command checks: exit 0 is OK, other exits are not', async () => {
    const node = JSON.stringify(process.execPath);
    expect(await checkHealth({ kind: 'command', command: `${node} -e "console.log('fine')"`, timeout_ms: 5000 })).toMatchObject({ ok: true, detail: 'exit 0: fine' });
    expect(await checkHealth({ kind: 'command', command: `${node} -e "console.error('down'); process.exit(3)"`, timeout_ms: 5000 })).toMatchObject({ ok: false, detail: 'exit 3: down' });
  });
});

describe('waitForHealthy', () => {
  it('needs N consecutive OK checks: a failure in between starts the count again', async () => {
    const url = await serve([ok, failing, ok, ok, ok]);
    const seen: number[] = [];
    const r = await waitForHealthy(http(url), { consecutive: 3, intervalMs: 10, timeoutMs: 5000, onCheck: (_c, streak) => seen.push(streak) });
    expect(r.ok).toBe(true);
    expect(seen).toEqual([1, 0, 1, 2, 3]);
    expect(r.checks).toHaveLength(5);
  });

  /** A server on virtual time: each request moves `now` by what `onRequest` says (its latency), and is answered OK unless `failing(i)`. */
  async function virtualServer(onRequest: (i: number, now: number) => number, failing_?: (i: number) => boolean): Promise<{ url: string; arrivals: number[]; clock: { now: () => number; setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (h: unknown) => void; sleep: (ms: number) => Promise<void> }; sleeps: number[] }> {
    let now = 0;
    const arrivals: number[] = [];
    const sleeps: number[] = [];
    const s = createServer((_req, res) => {
      arrivals.push(now);
      const i = arrivals.length - 1;
      now = onRequest(i, now);
      const bad = failing_?.(i) ?? false;
      res.writeHead(bad ? 503 : 200, { 'content-type': 'application/json' });
      res.end(bad ? failing.body : ok.body);
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const addr = s.address();
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/health`, arrivals, clock, sleeps };
  }

  it('starts checks an interval apart, start to start (a streak\'s from its first OK answer): a check\'s latency is not added to the spacing, and a check slower than the interval is followed at once', async () => {
    // Virtual time: the server's answers take 40 ms of it (the fourth one 130 ms), sleeps advance it; the second fails.
    const latency = [40, 40, 40, 130, 40, 40];
    const v = await virtualServer((i, now) => now + latency[Math.min(i, latency.length - 1)]!, (i) => i === 1);
    const starts: number[] = [];
    const r = await waitForHealthy(http(v.url), { consecutive: 3, intervalMs: 100, timeoutMs: 10_000, clock: v.clock, onCheck: (c) => starts.push(c.at) });
    expect(r.ok).toBe(true);
    // OK, failing, OK, OK (slow), OK: each started 100 ms after the one before, except after the slow
    // one, and a streak's next check 100 ms after its first OK answer (0 -> 140, 240 -> 380).
    expect(v.sleeps).toEqual([100, 60, 100]);
    expect(r.checks.map((c) => c.ok)).toEqual([true, false, true, true, true]);
    // When each check ended (its start + its latency): starts 0, 140, 240, 380, 510.
    expect(starts).toEqual([40, 180, 280, 510, 550]);
  });

  it('N OK checks in a row span at least N - 1 intervals from the first one\'s answer to the last one\'s start, whatever the checks\' latency', async () => {
    // 300 ms checks at 1 s spacing, and checks slower than the interval (1.5 s), which are followed at once.
    for (const latency of [300, 1500]) {
      const v = await virtualServer((_i, now) => now + latency);
      const r = await waitForHealthy(http(v.url), { consecutive: 3, intervalMs: 1000, timeoutMs: 60_000, clock: v.clock });
      expect(r.ok).toBe(true);
      expect(r.checks).toHaveLength(3);
      // The first OK answer came at checks[0].at; the third check reached the service at arrivals[2].
      expect(v.arrivals[2]! - r.checks[0]!.at, `latency ${latency}`).toBeGreaterThanOrEqual(2000);
      // Start to start, still at least an interval.
      expect(v.arrivals[1]! - v.arrivals[0]!).toBeGreaterThanOrEqual(1000);
      expect(v.arrivals[2]! - v.arrivals[1]!).toBeGreaterThanOrEqual(1000);
    }
  });

  it('never sleeps longer than the interval when the clock is stepped back during a check (the timeout still bounds the wait)', async () => {
    // The wall clock is stepped back an hour while the first check runs (NTP, a resumed VM).
    const v = await virtualServer((i, now) => (i === 0 ? now - 3_600_000 : now) + 40);
    const r = await waitForHealthy(http(v.url), { consecutive: 3, intervalMs: 100, timeoutMs: 10_000, clock: v.clock });
    expect(r.ok).toBe(true);
    expect(v.sleeps.length).toBeGreaterThan(0);
    for (const ms of v.sleeps) expect(ms).toBeLessThanOrEqual(100);
  });

  it('fails after the timeout when the service never becomes healthy', async () => {
    const r = await waitForHealthy(http(await serve([failing])), { consecutive: 3, intervalMs: 50, timeoutMs: 400 });
    expect(r.ok).toBe(false);
    expect(r.checks.length).toBeGreaterThan(1);
    expect(r.checks.every((c) => !c.ok)).toBe(true);
  });
});
