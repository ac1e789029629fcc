// Time from a breach starting to the rollback decision, per gate kind, on the embedded demo service
// with 1 s polls: an http-json monitor and a prometheus monitor (a real Prometheus scraping the
// service every second, stock scrape config, selector-scoped default PromQL) watch the same
// service side by side. Each scenario starts a fresh service whose release misbehaves 4 s after
// start (the breach start, B); the monitors start with it. The "rule allows" column is the earliest
// moment the gate's own rule can be met from the service's traffic (40 images a second), so
// "added" = decision - B - rule; the goal is no more than one poll (1 s), the prometheus source
// also paying up to one scrape interval (1 s). Skips, saying so, without /usr/bin/prometheus.
/* global setTimeout, fetch */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEngine, freePort, machine, writeSection } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const promBin = ['/usr/bin/prometheus', ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'prometheus'))].find((p) => existsSync(p));
if (!promBin) {
  console.log('SKIPPED: no prometheus binary (apt-get install prometheus)');
  process.exit(0);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(join(tmpdir(), 'breach-bench-'));
let prom;
try {
  const E = await bundleEngine([
    "export { Monitor } from './src/usecases/monitor.ts';",
    "export { systemClock } from './src/domain/clock.ts';",
    "export { createMetricSource } from './src/metrics/sources.ts';",
    "export { parseGatesConfig } from './src/config/gates.ts';",
    "export { createDhashService } from './src/demo/service.ts';",
    "export { DEFAULT_SETTINGS } from './src/demo/settings.ts';",
  ], join(tmp, 'engine.mjs'));
  const { readFileSync } = await import('node:fs');
  const prod = E.parseGatesConfig(readFileSync(join(root, 'quality-gates-config.json'), 'utf8')).environments.production;
  const gates = { ...prod, monitoring: { ...prod.monitoring, polling: [{ intervalSeconds: 1 }], adaptive: false, durationMinutes: 1 } };

  const svcPort = await freePort();
  const promPort = await freePort();
  const promUrl = `http://127.0.0.1:${promPort}`;
  writeFileSync(join(tmp, 'prometheus.yml'), ['global: { scrape_interval: 1s, evaluation_interval: 1s }', 'scrape_configs:', '  - job_name: dhash', `    static_configs: [ { targets: ['127.0.0.1:${svcPort}'] } ]`, ''].join('\n'));
  prom = spawn(promBin, [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${promUrl}/-/ready`)).ok) break;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }

  const BAD_AFTER = 4000;
  const RATE = 40;
  // Earliest moment (s after B) the gate's rule can be met from the traffic, and the profile that breaks it.
  const scenarios = [
    { gate: 'low_confidence_queue', rule: 'one reading > 1000 (queue grows 800/s)', allows: 1000 / 800, profile: { queue_growth_per_second: 800 } },
    // 25 % of new extractions fail; the window (since the deploy) holds 4 s of clean traffic: 0.25*40t / (160 + 40t) > 5 % at t > 1.0 s.
    { gate: 'extraction_failure_rate', rule: '> 5 % of the window (25 % of new ones fail)', allows: 1.0, profile: { failure_rate: 0.25 } },
    // Every new hash takes 3.6-4.0 s: more than 5 % of the window's hashes at t > 160 / (0.95*40) / 20 ≈ 0.21 s.
    { gate: 'p95_hash_time', rule: 'p95 > 2000 ms (new hashes 3.6-4.0 s)', allows: 160 / 40 / 19, profile: { extra_hash_latency_ms: 3600, latency_jitter_ms: 400 } },
    // /health answers 503 from B; the rule needs a 3rd consecutive non-OK check: two polls after the first.
    { gate: 'health_failures', rule: '3rd consecutive non-OK check (1 s polls)', allows: 2.0, profile: { health_fail_after_ms: BAD_AFTER } },
  ];
  const rows = [];
  let n = 0;
  for (const sc of scenarios) {
    n++;
    const release = { name: 'dhash', version: `9.${n}.0-bench`, description: 'bench', profile: { images_per_second: RATE, extra_hash_latency_ms: 0, latency_jitter_ms: 0, failure_rate: 0, health_fail_after_ms: null, queue_growth_per_second: 0, misbehave_after_ms: BAD_AFTER, ...sc.profile } };
    const svc = E.createDhashService({ release, settings: E.DEFAULT_SETTINGS, port: svcPort, diskPath: tmp, env: 'bench' });
    await svc.listen();
    const started = Date.now();
    const B = started + BAD_AFTER;
    const health = async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${svcPort}/health`, { signal: globalThis.AbortSignal.timeout(2000) });
        return { ok: r.status === 200, detail: `HTTP ${r.status}` };
      } catch (e) {
        return { ok: false, detail: e.message };
      }
    };
    const run = async (kind) => {
      let decidedAt;
      let gate;
      const spec = kind === 'http-json' ? { kind, url: `http://127.0.0.1:${svcPort}/metrics`, timeout_ms: 1000 } : { kind, url: promUrl, selector: '{job="dhash", env="bench"}', timeout_ms: 1000 };
      const m = new E.Monitor(
        {
          clock: E.systemClock,
          health,
          source: E.createMetricSource(spec, { freshSince: started, since: started, windows: { extraction_failure_rate: 10, hash_time_ms: 15, cpu_percent: 5 } }),
          journal: { path: 'bench', write: () => undefined },
          rollback: async (req) => {
            decidedAt ??= Date.now();
            gate ??= req.reason?.gate;
            return { ok: true, detail: 'bench', verified: { healthOk: true, smokeOk: true, detail: 'bench' } };
          },
        },
        { env: 'production', gates, t0: started },
      );
      await m.run();
      return { gate, after: decidedAt === undefined ? NaN : (decidedAt - B) / 1000 };
    };
    const [h, p] = await Promise.all([run('http-json'), run('prometheus')]);
    await svc.close();
    const cell = (r) => (r.gate === sc.gate ? `${r.after.toFixed(2)} s (+${(r.after - sc.allows).toFixed(2)})` : `tripped ${r.gate ?? 'nothing'}`);
    rows.push(`| ${sc.gate} | ${sc.rule} | ${sc.allows.toFixed(2)} s | ${cell(h)} | ${cell(p)} |`);
    console.log(rows.at(-1));
    await sleep(1500);
  }
  const table = ['| gate | breach | rule allows (after B) | http-json: decision after B (added) | prometheus: decision after B (added) |', '| --- | --- | ---: | ---: | ---: |', ...rows].join('\n');
  console.log(table);
  writeSection(
    'Breach to rollback decision (bench/breach-latency.mjs)',
    `${machine()}; one run, the machine shared with other engineers' test runs (load average often above 10 on 2 cores), so single figures carry scheduling noise. The embedded service (40 images/s) misbehaves 4 s after start (B); an http-json and a prometheus monitor (real Prometheus ${promBin}, 1 s scrape interval, stock scrape config, selector-scoped default PromQL, windows clamped to the start) watch it with 1 s polls and the shipped production gates. "Rule allows" is when the gate's own rule can first be met from the traffic; "added" is what the polling (and for prometheus, the scrape) adds on top. Goal: at most one poll (1 s) added, plus one scrape interval for prometheus.\n\n${table}`,
  );
} finally {
  if (prom && prom.exitCode === null) {
    prom.kill('SIGTERM');
    await sleep(1000);
    if (prom.exitCode === null) prom.kill('SIGKILL');
  }
  rmSync(tmp, { recursive: true, force: true });
}
