// Fleet: wall time of a 4-host good rollout in 3 waves with zero watch time (`rollout deploy
// --env fleet --auto-promote`), against the same playbook run by hand on all 4 hosts at once, and
// by hand wave by wave (3 runs with --limit), interleaved so that machine noise hits all alike.
// The difference to the wave-by-wave hand runs is what the tool adds per wave (reading the hosts,
// the gates' check, the journal and state); the difference to one run is the price of waves.
// Needs ansible-playbook; releases alternate 1.1.0 / 1.0.0 so that every run changes every host.
/* global fetch, setTimeout */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, machine, median, timeOnce, writeSection } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const svc = join(root, 'dist', 'dhash-service.js');
if (!existsSync(cli) || !existsSync(svc)) {
  console.error('bench: dist/ is missing; run npm run build first.');
  process.exit(2);
}
if (spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench/fleet.mjs: skipped, ansible-playbook is not installed.');
  process.exit(0);
}
const N = Number(process.env.FLEET_BENCH_RUNS ?? 3);
const ws = join(mkdtempSync(join(tmpdir(), 'rollout-bench-fleet-')), 'ws');
execFileSync(process.execPath, [cli, 'init', ws, '--example', 'fleet'], { stdio: 'ignore' });
const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
const inv = join(ws, 'runbooks/examples/fleet/inventory.ini');
writeFileSync(inv, readFileSync(inv, 'utf8').replace(/\b744([1-4])\b/g, (_m, i) => String(ports[Number(i) - 1])));
const rb = join(ws, 'runbooks/dhash.yaml');
writeFileSync(rb, readFileSync(rb, 'utf8').replace(/watch_minutes: [0-9.]+/g, 'watch_minutes: 0'));
const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(ws, '.ansible-tmp'), ROLLOUT_OPERATOR: 'bench' };
const playbook = (version, limit) => ['-i', inv, join(ws, 'runbooks/examples/fleet/deploy.yml'), ...(limit ? ['--limit', limit] : []), '-e', `version=${version}`, '-e', 'env=fleet', '-e', `workspace=${ws}`, '-e', `dhash_releases=${join(root, 'releases')}`, '-e', `dhash_service=${svc}`, '-e', `dhash_node=${process.execPath}`];
const byHand = (version) => timeOnce('ansible-playbook', playbook(version), { cwd: ws, env });
const byHandWaves = (version) => ['dhash-1', 'dhash-2', 'dhash-3,dhash-4'].reduce((ms, limit) => ms + timeOnce('ansible-playbook', playbook(version, limit), { cwd: ws, env }), 0);
const own = [];
const tool = (version) => {
  const ms = timeOnce(process.execPath, [cli, 'deploy', '--env', 'fleet', '--version', version, '--yes', '--auto-promote'], { cwd: ws, env });
  // From the journal: each wave's time outside its ansible-playbook run (start of the wave to the
  // playbook's command, and the playbook's end to the wave passing: host reads, health, the gates).
  const logs = readdirSync(join(ws, 'logs')).filter((f) => f.startsWith('deploy_fleet_')).sort();
  const ev = readFileSync(join(ws, 'logs', logs.at(-1)), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const t = (e) => Date.parse(e.ts);
  let outside = 0;
  for (const start of ev.filter((e) => e.event === 'fleet.wave.start')) {
    const i = ev.indexOf(start);
    const cmd = ev.slice(i).find((e) => e.event === 'deploy.output' && String(e.line).startsWith('$ ansible-playbook'));
    const ran = ev.slice(i).find((e) => e.event === 'fleet.host.running');
    const passed = ev.slice(i).find((e) => e.event === 'fleet.wave.passed');
    outside += t(cmd) - t(start) + (t(passed) - t(ran));
  }
  own.push(outside / 3);
  return ms;
};
const running = async () => Promise.all(ports.map(async (p) => (await (await fetch(`http://127.0.0.1:${p}/version`)).json()).version));

const rows = { hand: [], waves: [], tool: [] };
try {
  byHand('1.0.0'); // the fleet's starting point
  let v = '1.0.0';
  const next = () => (v = v === '1.0.0' ? '1.1.0' : '1.0.0');
  for (let i = 0; i < N; i++) {
    rows.hand.push(byHand(next()));
    rows.waves.push(byHandWaves(next()));
    rows.tool.push(tool(next()));
    const now = await running();
    if (now.some((x) => x !== v)) throw new Error(`after the rollout of ${v} the hosts run ${now.join(', ')}`);
  }
} finally {
  for (const h of ['dhash-1', 'dhash-2', 'dhash-3', 'dhash-4']) {
    const f = join(ws, 'fleet-hosts', h, 'service.pid');
    if (existsSync(f)) try { process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ }
  }
  setTimeout(() => rmSync(join(ws, '..'), { recursive: true, force: true }), 1500);
}
const m = { hand: median(rows.hand), waves: median(rows.waves), tool: median(rows.tool) };
const perWave = (m.tool - m.waves) / 3;
const table = `${machine()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}, ${N} interleaved runs each; 4 hosts of the demo service (ansible_connection=local), waves 1 / 50 % / 100 %, watch_minutes 0 (one check a wave), one raw task per host.

| measurement | median ms |
| --- | ---: |
| ansible-playbook by hand, all 4 hosts in one run | ${Math.round(m.hand)} |
| ansible-playbook by hand, wave by wave (3 runs with --limit) | ${Math.round(m.waves)} |
| rollout deploy --env fleet --auto-promote (3 waves) | ${Math.round(m.tool)} |
| added by the tool per wave (vs wave by wave by hand) | ${Math.round(perWave)} |
| added per wave vs one run by hand | ${Math.round((m.tool - m.hand) / 3)} |
| rollout's own time per wave outside ansible-playbook (journal: host reads, health, one gate check) | ${Math.round(median(own))} |

The wall-time rows swing with the machine's load (other test suites ran alongside); the last row is
read from the deploy journal and does not: the rest of a wave is ansible-playbook itself, plus one
process start and one ansible-inventory read per rollout.`;
console.log(table);
writeSection('Fleet (bench/fleet.mjs)', table);
