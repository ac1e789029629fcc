// A wave's gates read from a real Prometheus (Debian package, /usr/bin/prometheus) that scrapes
// two hosts: one healthy, one failing 20 % of its extractions. The prometheus source's selector
// names {instance}: watching the bad host breaches; watching the good host passes although the
// bad host's failures are in the same Prometheus (unscoped, the fleet-wide rate is 10 %: a breach).
// Skips, saying so, only when the binary is absent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/logger.js';
import { parseGatesConfig } from '../../src/config/gates.js';
import type { EnvironmentRunbook } from '../../src/config/runbook-schema.js';
import { systemClock } from '../../src/domain/clock.js';
import { AnsibleFleet, type AnsibleTargetSpec, type FleetHost } from '../../src/targets/fleet-ansible.js';
import { watchWave } from '../../src/usecases/fleet-watch.js';
import { REPO } from '../helpers/cli.js';
import { findPrometheus, startPrometheus, type PromServer } from '../metrics/prom-server.js';
import { waitUntil } from '../helpers/frames.js';
import { FakeService, type TestServer } from '../metrics/servers.js';

const bin = findPrometheus();
const title = bin ? `a fleet wave's gates through a real Prometheus (${bin}), scoped by {instance}` : 'fleet wave through Prometheus — SKIPPED: no prometheus binary on PATH (apt-get install prometheus)';

describe.skipIf(!bin)(title, () => {
  const good = new FakeService();
  const bad = new FakeService();
  let servers: TestServer[] = [];
  let prom: PromServer;
  let traffic: NodeJS.Timeout;
  const dir = mkdtempSync(join(tmpdir(), 'rollout-fleet-watch-'));

  beforeAll(async () => {
    servers = [await good.serve(), await bad.serve()];
    prom = await startPrometheus(bin!, servers.map((s) => `127.0.0.1:${s.port}`), ['params: { format: [prometheus] }']);
    traffic = setInterval(() => {
      good.traffic(20, 3, 0);
      bad.traffic(20, 3, 4);
    }, 250);
  }, 40_000);

  afterAll(async () => {
    clearInterval(traffic);
    await prom?.stop();
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const gates = parseGatesConfig(readFileSync(join(REPO, 'runbooks/examples/fleet/quality-gates-config.json'), 'utf8')).environments.fleet!;
  const spec = { kind: 'ansible', inventory: 'inv.ini', group: 'all', deploy: 'deploy.yml', url: 'http://{ansible_host}:{port}', releases: 'releases', waves: [{ hosts: 1, watch_minutes: 0 }], timeout_seconds: 60, health_timeout_ms: 5000 } as AnsibleTargetSpec;
  const runbook = (url: string): EnvironmentRunbook => ({
    target: spec,
    health: { kind: 'http', url: 'http://fleet-host/health', expect_status: 200, timeout_ms: 2000 },
    metrics: { kind: 'prometheus', url, selector: '{job="dhash", instance=~"{instance}"}', timeout_ms: 3000 },
    smoke: [],
  });
  const host = (name: string, i: number): FleetHost => ({ name, url: `http://127.0.0.1:${servers[i]!.port}`, vars: {} });
  const watch = (release: FleetHost[], minutes: number) => {
    const journal = new AuditLog({ path: join(dir, `watch-${release[0]!.name}.log`), env: 'fleet' });
    const rb = runbook(prom.url);
    return watchWave({ fleet: new AnsibleFleet(dir, 'fleet', spec, rb), gates, runbook: rb, clock: systemClock, journal, env: 'fleet', version: '1.1.0', root: dir, release, baseline: [], minutes, since: Date.now() - 60_000 });
  };

  it('the bad host breaches extraction_failure_rate; the good host passes with the bad one in the same Prometheus', async () => {
    // Enough scraped history for the 0.1 min (6 s) windows, counted: both hosts with 5 scrapes in the last 6 s.
    await waitUntil(
      () => prom.query('count_over_time(dhash_extractions_total{job="dhash"}[6s])'),
      (r) => r.length === 2 && r.every((x) => Number(x.value[1]) >= 5),
      'five scrapes of each host in the last 6 s',
      { ms: 40_000, show: (r) => JSON.stringify(r) },
    );
    const all = await prom.query('100 * sum(rate(dhash_extraction_failures_total{job="dhash"}[6s])) / sum(rate(dhash_extractions_total{job="dhash"}[6s]))');
    expect(Number(all[0]!.value[1])).toBeGreaterThan(5); // unscoped, the fleet breaches

    const b = await watch([host('bad', 1)], 0.3);
    expect(b).toMatchObject({ result: 'breached', gate: 'extraction_failure_rate' });
    expect((b as { value: number }).value).toBeGreaterThan(15);

    const g = await watch([host('good', 0)], 0.12);
    expect(g).toMatchObject({ result: 'passed' });
    const polls = readFileSync(join(dir, 'watch-good.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { decisions: { gate: string; status: string; value: number | null }[] });
    expect(polls.some((p) => p.decisions.some((d) => d.gate === 'extraction_failure_rate' && d.status === 'ok' && d.value === 0))).toBe(true);
  }, 90_000);
});
