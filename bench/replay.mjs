// rollout replay over 1,000 recorded 60-minute windows: wall time and peak RSS (goal: seconds,
// flat memory: journals are streamed one window at a time). The windows are real journals: the
// real Monitor runs a healthy and a p95-regression window on a fake clock with the seeds'
// production gates (39 and 19 polls), and the folder gets 1,000 copies (one bad in ten) under
// their own names. Replay runs in a fresh child per size, so each peak RSS is its own; then the
// bundled CLI replays the 1,000 (human output and --json) for the end-to-end time.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleEngine, machine, median, writeSection } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MIN = 60_000;

const ENGINE_EXPORTS = [
  "export { Monitor } from './src/usecases/monitor.ts';",
  "export { AuditLog } from './src/audit/logger.ts';",
  "export { FakeClock } from './src/domain/clock.ts';",
  "export { parseGatesConfig } from './src/config/gates.ts';",
  "export { HASH_TIME_BUCKETS_MS } from './src/domain/metrics-contract.ts';",
  "export { replayEnvironment } from './src/usecases/replay.ts';",
];

// Child mode: replay the first N windows of a logs folder and print time and peak RSS as JSON.
if (process.argv[2] === '--child') {
  const [, , , engine, logsDir, n] = process.argv;
  const E = await import(pathToFileURL(engine).href);
  const cfg = E.parseGatesConfig(readFileSync(join(root, 'quality-gates-config.json'), 'utf8'));
  const cand = { ...cfg.environments.production, gates: cfg.environments.production.gates.map((g) => (g.name === 'p95_hash_time' ? { ...g, threshold: 2500 } : g)) };
  const t = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const r = await E.replayEnvironment({ env: `bench${n}`, logsDir, candidate: cand, candidateLabel: 'looser p95' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const c = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, windows: r.summary.windows, exact: r.summary.reproduced.exact, avoided: r.summary.rollbacksAvoided.length }));
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), 'replay-bench-'));
try {
  const engine = join(tmp, 'engine.mjs');
  await bundleEngine(ENGINE_EXPORTS, engine);
  const E = await import(pathToFileURL(engine).href);
  const prod = E.parseGatesConfig(readFileSync(join(root, 'quality-gates-config.json'), 'utf8')).environments.production;
  const B = E.HASH_TIME_BUCKETS_MS.length + 1;
  const T0 = Date.UTC(2026, 10, 23, 12);
  // Record one window with the real Monitor: `slow` puts 10 % of hashes at 2200 ms from T+12.
  async function record(dir, slow) {
    const clock = new E.FakeClock(T0);
    const journal = E.AuditLog.open(dir, 'monitor', 'production', { now: () => clock.now() });
    let prev;
    const source = {
      description: 'bench',
      async read() {
        const m = (clock.now() - T0) / MIN;
        const dt = prev === undefined ? 0 : (m - prev) * 60;
        const bad = slow && prev !== undefined ? Math.max(0, m - Math.max(prev, 12)) * 60 * 0.1 : 0;
        prev = m;
        const counts = new Array(B).fill(0);
        counts[8] = dt * 40 - bad * 40;
        counts[13] = bad * 40;
        return { status: 'ok', sample: { t: clock.now(), values: { low_confidence_queue: 12, cpu_percent: 25, memory_percent: 40, disk_used_percent: 50 }, extractions: dt * 40, failures: Math.floor(dt * 0.08), hash: { bounds: [...E.HASH_TIME_BUCKETS_MS], counts } } };
      },
    };
    const monitor = new E.Monitor(
      { clock, health: async () => ({ ok: true, detail: 'HTTP 200', latencyMs: 3 }), source, journal, rollback: async () => ({ ok: true, detail: 'restored', verified: { healthOk: true, smokeOk: true, detail: 'ok' } }) },
      { env: 'production', gates: prod, version: slow ? '1.2.0-slow' : '1.1.0' },
    );
    let done = false;
    const p = monitor.run().then((s) => ((done = true), s));
    while (!done) await clock.advance(30_000);
    const s = await p;
    journal.close();
    return { path: journal.path, summary: s };
  }
  const healthy = await record(mkdtempSync(join(tmp, 'h-')), false);
  const slow = await record(mkdtempSync(join(tmp, 's-')), true);
  if (healthy.summary.result !== 'passed' || slow.summary.result !== 'rolled-back') throw new Error(`unexpected recordings: ${healthy.summary.result}, ${slow.summary.result}`);
  const sizes = [100, 1000];
  const dirs = {};
  // The 1,000 go to the logs/ folder of a workspace, so that the shipped CLI can replay them too.
  const ws = join(tmp, 'ws');
  for (const n of sizes) {
    const d = n === 1000 ? join(ws, 'logs') : join(tmp, `logs-${n}`);
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < n; i++) {
      const stamp = `20261123_${String(Math.floor(i / 3600)).padStart(2, '0')}${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(i % 60).padStart(2, '0')}`;
      copyFileSync(i % 10 === 9 ? slow.path : healthy.path, join(d, `monitor_bench${n}_${stamp}.log`));
    }
    dirs[n] = d;
  }
  const mb = (statSync(healthy.path).size * 0.9 + statSync(slow.path).size * 0.1) / 1e6;
  const rows = [];
  const results = {};
  for (const n of sizes) {
    const runs = [];
    for (let k = 0; k < 3; k++) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', engine, dirs[n], String(n)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      runs.push(JSON.parse(r.stdout));
    }
    const ms = median(runs.map((x) => x.ms));
    const rss = median(runs.map((x) => x.maxRssMb));
    const cpu = median(runs.map((x) => x.cpuMs));
    results[n] = { ms, rss, ...runs[0] };
    rows.push(`| ${n} windows (${(n * mb).toFixed(0)} MB of journals) | ${(ms / 1000).toFixed(2)} s | ${(cpu / 1000).toFixed(2)} s | ${(cpu / n).toFixed(2)} ms | ${rss.toFixed(1)} MB | ${runs[0].exact} of ${runs[0].windows} | ${runs[0].avoided} |`);
  }
  // The whole CLI on the 1,000 windows, human output and --json (bundled as shipped); peak RSS from /usr/bin/time.
  const cliDist = join(tmp, 'dist');
  const { bundle } = await import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href);
  await bundle(cliDist);
  const cfg = JSON.parse(readFileSync(join(root, 'quality-gates-config.json'), 'utf8'));
  cfg.environments.bench1000 = cfg.environments.production;
  delete cfg.$schema;
  writeFileSync(join(ws, 'quality-gates-config.json'), JSON.stringify(cfg));
  const cliRows = [];
  for (const json of [false, true]) {
    const args = [join(cliDist, 'cli.js'), 'replay', '--env', 'bench1000', ...(json ? ['--json'] : [])];
    const t = process.hrtime.bigint();
    const r = existsSync('/usr/bin/time')
      ? spawnSync('/usr/bin/time', ['-f', 'RSSKB=%M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' }, cwd: ws })
      : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' }, cwd: ws });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`rollout replay exited ${r.status}: ${r.stderr}`);
    const rss = /RSSKB=(\d+)/.exec(r.stderr)?.[1];
    const fidelity = json ? JSON.parse(r.stdout).summary.reproduced : /Replay fidelity +(\d+) of (\d+)/.exec(r.stdout)?.slice(1).join(' of ');
    cliRows.push(`| rollout replay --env E${json ? ' --json' : ''} (1000 windows, current config) | ${(ms / 1000).toFixed(2)} s | ${rss ? `${(Number(rss) / 1024).toFixed(1)} MB` : 'n/a'} | ${(r.stdout.length / 1e6).toFixed(2)} MB | ${json ? `${fidelity.exact} of ${fidelity.of}` : fidelity} |`);
  }
  const body = [
    `${machine()}; the machine was shared with other engineers' builds and tests while this ran, so wall times are upper bounds (load average ${os.loadavg()[0].toFixed(1)} on 2 cores when it finished); CPU time is the steadier figure. Windows: real Monitor journals of 60-minute windows with the seeds' production gates (39 polls healthy, 19 polls for the p95 regression that rolls back at T+21; one bad in ten), ${(mb * 1000).toFixed(0)} KB each on average. Each size runs in a fresh process (median of 3): the window's own gates and a looser-p95 candidate are both replayed. Goal: seconds, flat memory.`,
    '',
    '| replayed | wall time | CPU time | CPU per window | peak RSS | reproduced | rollbacks avoided |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    'The shipped CLI (bundled as `npm pack` would ship it) on the same 1,000 journals, one run each:',
    '',
    '| command | wall time | peak RSS | output | reproduced |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...cliRows,
  ].join('\n');
  console.log(body);
  writeSection('Replay (bench/replay.mjs)', body);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
