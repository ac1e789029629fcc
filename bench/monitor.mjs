// The T+60 monitor: cost of one gate evaluation with 24 hours of kept samples; RSS over an
// accelerated fake-clock run of 48 hours (must stay flat once the kept history is full: bounded
// buffers); CPU used between polls on the real clock; detection latency in poll intervals on a
// loopback service with a short-window config (goal: at most one interval after the gate's own
// rule is met). The engine is bundled from src/ with esbuild so that plain node runs it.
/* global setTimeout, setInterval, clearInterval, performance, fetch */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEngine, machine, median, writeSection } from './lib.mjs';

if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'monitor-bench-'));
try {
  const E = await bundleEngine([
    "export { evaluate } from './src/gates/evaluate.ts';",
    "export { ObservationHistory } from './src/gates/history.ts';",
    "export { Monitor } from './src/usecases/monitor.ts';",
    "export { FakeClock, systemClock } from './src/domain/clock.ts';",
    "export { createMetricSource } from './src/metrics/sources.ts';",
    "export { parseGatesConfig } from './src/config/gates.ts';",
    "export { HASH_TIME_BUCKETS_MS } from './src/domain/metrics-contract.ts';",
  ], join(tmp, 'engine.mjs'));
  const { readFileSync } = await import('node:fs');
  const config = E.parseGatesConfig(readFileSync(join(root, 'quality-gates-config.json'), 'utf8'));
  const prod = config.environments.production;
  const MIN = 60_000;
  const B = E.HASH_TIME_BUCKETS_MS.length + 1;
  const obsAt = (seq, t) => {
    const counts = new Array(B).fill(0);
    counts[8] = 50 + (seq % 7);
    counts[14] = seq % 3;
    return { seq, t, health: { ok: true, detail: 'HTTP 200' }, source: 'ok', values: { low_confidence_queue: seq % 50, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40, extraction_failure_rate: 0.5, hash_time_ms: 480 }, extractions: 60, failures: seq % 2, hash: { bounds: [...E.HASH_TIME_BUCKETS_MS], counts } };
  };
  const rows = [];
  const t0 = Date.UTC(2026, 10, 23);

  // 1. One evaluation of every production gate with 24 hours kept (at 30 s and at 1 s polling).
  for (const intervalS of [30, 1]) {
    const h = new E.ObservationHistory(24 * 60 * MIN, 200_000);
    const n = (24 * 3600) / intervalS;
    for (let i = 0; i < n; i++) h.push(obsAt(i + 1, t0 + i * intervalS * 1000));
    const now = t0 + (n - 1) * intervalS * 1000;
    let states = {};
    const times = [];
    for (let r = 0; r < 7; r++) {
      const reps = 300;
      const s = performance.now();
      for (let i = 0; i < reps; i++) states = E.evaluate(prod.gates, h.all(), now, states, i).states;
      times.push(((performance.now() - s) / reps) * 1000);
    }
    rows.push([`one evaluation, 7 gates, 24 h kept at ${intervalS} s polling (${h.size} samples)`, `${median(times).toFixed(1)} µs`]);
  }

  // 2. RSS over an accelerated 48-hour run with 5 s polling (the kept history fills at 24 h).
  {
    const clock = new E.FakeClock(t0);
    const env = { ...prod, monitoring: { ...prod.monitoring, polling: [{ intervalSeconds: 5 }], durationMinutes: 48 * 60 } };
    let seq = 0;
    const source = { description: 'bench', read: async () => ({ status: 'ok', sample: (({ seq: _s, t: _t, health: _h, source: _src, ...rest }) => ({ t: clock.now(), ...rest }))(obsAt(++seq, clock.now())) }) };
    const journal = { path: 'bench (no file)', write: () => undefined };
    const m = new E.Monitor({ clock, health: async () => ({ ok: true, detail: 'HTTP 200' }), source, journal }, { env: 'production', gates: env });
    let done = false;
    m.run().then(() => (done = true));
    const rss = [];
    const heap = [];
    for (let hour = 1; !done && hour <= 48; hour++) {
      for (let k = 0; k < 60 && !done; k++) await clock.advance(MIN);
      globalThis.gc();
      rss.push(process.memoryUsage().rss / 1048576);
      heap.push(process.memoryUsage().heapUsed / 1048576);
    }
    while (!done) await clock.advance(MIN);
    const at = (h) => rss[h - 1].toFixed(1);
    rows.push(['RSS after 1 h / 12 h / 24 h of an accelerated run (5 s polls, 24 h kept)', `${at(1)} / ${at(12)} / ${at(24)} MB`]);
    rows.push(['RSS after 36 h / 48 h (kept history full: must stay flat)', `${at(36)} / ${at(48)} MB (${(rss[47] - rss[23] >= 0 ? '+' : '') + (rss[47] - rss[23]).toFixed(1)} MB from 24 h to 48 h)`]);
    rows.push(['heap used after 1 h / 24 h / 48 h', `${heap[0].toFixed(1)} / ${heap[23].toFixed(1)} / ${heap[47].toFixed(1)} MB`]);
    rows.push(['observations kept at the end', String(m.observations().length)]);
  }

  // 3 and 4 on the real clock against a loopback service serving the contract JSON.
  const state = { extractions: 0, failures: 0, failPct: 0, queue: 10, perBucket: new Array(B).fill(0), healthy: true };
  const server = createServer((req, res) => {
    if (req.url.startsWith('/health')) return void res.writeHead(state.healthy ? 200 : 503).end(JSON.stringify({ status: state.healthy ? 'ok' : 'failing' }));
    let c = 0;
    const buckets = state.perBucket.map((n) => (c += n));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ service: 'dhash', version: 'bench', pid: 1, uptime_seconds: 1, extractions_total: state.extractions, extraction_failures_total: state.failures, hash_time_ms: { buckets, bounds: [...E.HASH_TIME_BUCKETS_MS], count: c, sum: 0 }, low_confidence_queue: state.queue, cpu_percent: 10, memory_percent: 20, disk_used_percent: 30 }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const traffic = setInterval(() => {
    state.extractions += 10;
    state.failures += Math.round((10 * state.failPct) / 100);
    state.perBucket[8] += 10;
  }, 20);
  const health = async () => {
    const r = await fetch(`http://127.0.0.1:${port}/health`);
    return { ok: r.ok, detail: `HTTP ${r.status}` };
  };
  try {
    // 3. CPU between polls: 2 s polls for 20 s; CPU from the end of one poll to the start of the next.
    {
      const env = { ...prod, monitoring: { ...prod.monitoring, polling: [{ intervalSeconds: 2 }], durationMinutes: 20 / 60 } };
      const journal = { path: 'bench', write: () => undefined };
      let idleCpu = 0;
      let idleWall = 0;
      let mark;
      const timedHealth = async () => {
        if (mark) {
          const c = process.cpuUsage(mark.cpu);
          idleCpu += (c.user + c.system) / 1000;
          idleWall += performance.now() - mark.wall;
          mark = undefined;
        }
        return health();
      };
      const m = new E.Monitor({ clock: E.systemClock, health: timedHealth, source: E.createMetricSource({ kind: 'http-json', url: `http://127.0.0.1:${port}/metrics`, timeout_ms: 1000 }), journal }, { env: 'production', gates: env });
      m.subscribe((e) => {
        if (e.type === 'next-poll') mark = { cpu: process.cpuUsage(), wall: performance.now() };
      });
      await m.run();
      // The bench's own traffic timer runs meanwhile; measure it alone for the same span and subtract.
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await new Promise((r) => setTimeout(r, 4000));
      const base = process.cpuUsage(c0);
      const baseRate = (base.user + base.system) / 1000 / (performance.now() - w0);
      const net = Math.max(0, idleCpu - baseRate * idleWall);
      rows.push(['CPU of the process between polls (real clock, 2 s polls)', `${((idleCpu / idleWall) * 1000).toFixed(2)} ms per s`]);
      rows.push(['same, with only the bench\'s own traffic timer running (baseline)', `${(baseRate * 1000).toFixed(2)} ms per s`]);
      rows.push(['monitor between polls (difference)', `${((net / idleWall) * 1000).toFixed(2)} ms per s (${((100 * net) / idleWall).toFixed(3)} % of a core)`]);
    }

    // 4. Detection latency: polls from the first poll that sees bad data to the rollback decision.
    const latency = async (gate, makeBad) => {
      Object.assign(state, { failPct: 0, queue: 10, healthy: true });
      const env = { ...prod, monitoring: { ...prod.monitoring, polling: [{ intervalSeconds: 0.5 }], durationMinutes: 0.5 }, gates: prod.gates.map((g) => ({ ...g, windowMinutes: Math.min(g.windowMinutes, 0.1) })) };
      const journal = { path: 'bench', write: () => undefined };
      let decidedSeq;
      let badAt;
      let firstBadSeq;
      const m = new E.Monitor(
        {
          clock: E.systemClock,
          health,
          source: E.createMetricSource({ kind: 'http-json', url: `http://127.0.0.1:${port}/metrics`, timeout_ms: 1000 }),
          journal,
          rollback: async () => ({ ok: true, detail: 'bench', verified: { healthOk: true, smokeOk: true, detail: 'bench' } }),
        },
        { env: 'production', gates: env },
      );
      m.subscribe((e) => {
        if (e.type === 'sample' && badAt !== undefined && firstBadSeq === undefined && e.observation.t >= badAt) firstBadSeq = e.observation.seq;
        if (e.type === 'rollback' && e.stage === 'requested' && decidedSeq === undefined) decidedSeq = m.observations().at(-1)?.seq;
      });
      setTimeout(() => {
        badAt = Date.now();
        makeBad();
      }, 3000);
      const s = await m.run();
      if (s.breaches[0]?.gate !== gate.split(' ')[0]) throw new Error(`expected ${gate} to trip first, got ${s.breaches[0]?.gate ?? 'no breach'}`);
      return { gate, polls: decidedSeq !== undefined && firstBadSeq !== undefined ? decidedSeq - firstBadSeq : NaN };
    };
    const lat = [];
    lat.push(await latency('low_confidence_queue (1 reading > 1000)', () => (state.queue = 5000)));
    lat.push(
      await latency('extraction_failure_rate (20 % of new extractions fail; > 5 % of the window)', () => (state.failPct = 20)),
    );
    lat.push(await latency('health_failures (3rd consecutive non-OK; 2 are tolerated by the rule)', () => (state.healthy = false)));
    for (const l of lat) rows.push([`detection latency: ${l.gate}`, `${l.polls} poll interval${l.polls === 1 ? '' : 's'} after the first bad poll`]);
  } finally {
    clearInterval(traffic);
    server.closeAllConnections();
    server.close();
  }

  const table = ['| measurement | result |', '| --- | ---: |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  console.log(table);
  writeSection(
    'Monitor (bench/monitor.mjs)',
    `${machine()}. Evaluation cost with 24 hours of kept samples; RSS of an accelerated 48-hour fake-clock run (5 s polls, journal discarded, the default 24-hour sample history: memory grows until the history is full, then stays flat); CPU between polls on the real clock; detection latency on a loopback service serving the contract JSON, with 0.5 s polls and 0.1-minute windows, counted from the first poll that saw bad data to the rollback decision (goal: at most one interval beyond what the gate's rule itself requires; health_failures needs 3 checks by definition).\n\n${table}`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
