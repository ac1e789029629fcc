// Deploy and rollback: time from `rollout deploy` (or `rollout rollback`) to the third OK health
// check of the new (or restored) release, against the bare start of the service process (spawn ->
// first OK /health) in the same run, interleaved so that machine noise hits both alike. The tool's
// own overhead is what remains beyond the bare start and the spacing of the three checks: two
// intervals of the tool's check spacing, 150 ms for a deploy to the local target
// (src/usecases/deploy/stages.ts) and 250 ms for a rollback (src/usecases/rollback.ts). Goal (#15):
// under 300 ms each.
// BENCH_BEFORE=/path/to/old/dist adds an older build's deploys and rollbacks to the same interleaved runs
// (ROLLOUT_PACKAGE_ROOT tells a dist/ copied elsewhere where the shipped releases and migrations are).
/* global setTimeout, fetch, AbortSignal, performance */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, machine, median, writeSection } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const svc = join(root, 'dist', 'dhash-service.js');
if (!existsSync(cli) || !existsSync(svc)) {
  console.error('bench: dist/ is missing; run npm run build first.');
  process.exit(2);
}
const N = 6;
const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'cli.js') : undefined;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function healthy(port) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
    return r.status === 200;
  } catch {
    return false;
  }
}

// A workspace with the shipped config and runbook, staging on a free port. Each build gets its
// own: two builds in one workspace replace each other's config-cache entry (keyed to the build) at
// every alternation, so both would validate the yaml and the schemas on every run.
async function makeWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-bench-'));
  cpSync(join(root, 'quality-gates-config.json'), join(dir, 'quality-gates-config.json'));
  cpSync(join(root, 'runbooks'), join(dir, 'runbooks'), { recursive: true });
  const port = await freePort();
  const rb = join(dir, 'runbooks', 'dhash.yaml');
  writeFileSync(rb, readFileSync(rb, 'utf8').replaceAll('7412', String(port)));
  return dir;
}
const ws = await makeWorkspace();
const wsOf = new Map([[cli, ws]]);
if (BEFORE) wsOf.set(BEFORE, await makeWorkspace());
const runEnv = { ...process.env, NO_COLOR: '1', ROLLOUT_PACKAGE_ROOT: root };

// A bare deployment folder for the plain service start.
const bareDir = join(ws, 'bare');
mkdirSync(join(bareDir, 'releases'), { recursive: true });
cpSync(join(root, 'releases', '1.1.0'), join(bareDir, 'releases', '1.1.0'), { recursive: true });
symlinkSync(join('releases', '1.1.0'), join(bareDir, 'current'));
const barePort = await freePort();

async function bareStart() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [svc, '--env', 'bare', '--port', String(barePort), '--dir', bareDir], { stdio: 'ignore' });
  while (!(await healthy(barePort))) await sleep(5);
  const ms = performance.now() - t0;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return ms;
}

function rollbackOnce(bin = cli) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'rollback', '--env', 'staging', '--json'], { cwd: wsOf.get(bin), encoding: 'utf8', env: runEnv });
  if (r.status !== 0) throw new Error(`rollback exited ${r.status}: ${r.stderr}`);
  const { log } = JSON.parse(r.stdout);
  const third = readFileSync(join(wsOf.get(bin), log), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'rollback.health_check' && e.ok && e.streak === 3);
  return Date.parse(third.ts) - t0;
}

function deployOnce(version, bin = cli) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'deploy', '--env', 'staging', '--version', version, '--no-monitor', '--json'], { cwd: wsOf.get(bin), encoding: 'utf8', env: runEnv });
  if (r.status !== 0) throw new Error(`deploy ${version} exited ${r.status}: ${r.stderr}`);
  const { log } = JSON.parse(r.stdout);
  const third = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'deploy.health' && e.ok && e.streak === 3);
  return Date.parse(third.ts) - t0;
}

const bare = [];
const deploys = [];
const rollbacks = [];
const oldDeploys = [];
const oldRollbacks = [];
try {
  // First deploy in each workspace: migrations, copies, the config cache; not measured.
  for (const bin of wsOf.keys()) deployOnce('1.0.0', bin);
  for (let i = 0; i < N; i++) {
    bare.push(await bareStart());
    // The builds take turns going first: the first after the bare start ran 80 ms slower in an A/A run.
    if (BEFORE && i % 2) oldDeploys.push(deployOnce(i % 2 ? '1.0.0' : '1.1.0', BEFORE));
    deploys.push(deployOnce(i % 2 ? '1.0.0' : '1.1.0'));
    if (BEFORE && !(i % 2)) oldDeploys.push(deployOnce(i % 2 ? '1.0.0' : '1.1.0', BEFORE));
  }
  // Rollbacks: a backup of 1.0.0 (each build its own), then deploy 1.1.0 (not measured) and roll back to 1.0.0.
  for (const bin of wsOf.keys()) {
    deployOnce('1.0.0', bin);
    const b = spawnSync(process.execPath, [bin, 'backup', '--env', 'staging'], { cwd: wsOf.get(bin), env: runEnv });
    if (b.status !== 0) throw new Error(`backup exited ${b.status}`);
  }
  for (let i = 0; i < N; i++) {
    const turn = () => {
      deployOnce('1.1.0');
      rollbacks.push(rollbackOnce());
    };
    if (!(i % 2)) turn();
    if (BEFORE) {
      deployOnce('1.1.0', BEFORE);
      oldRollbacks.push(rollbackOnce(BEFORE));
    }
    if (i % 2) turn();
  }
} finally {
  for (const [bin, dir] of wsOf) {
    spawnSync(process.execPath, [bin, 'service', 'stop', '--env', 'staging'], { cwd: dir, stdio: 'ignore', env: runEnv });
    rmSync(dir, { recursive: true, force: true });
  }
}
const b = median(bare);
const d = median(deploys);
const rb_ = median(rollbacks);
// The spacing each command keeps between its three checks (kept for safety, not overhead).
const SPACING = 2 * 150;
const RB_SPACING = 2 * 250;
const rows = [
  ['bare service start (spawn -> first OK /health)', b],
  ['rollout deploy -> third OK health check', d],
  ['deploy: added by the tool', d - b],
  ['deploy: the tool\'s own overhead (beyond the bare start and 2 x 150 ms check spacing)', d - b - SPACING],
  ['rollout rollback -> third OK health check', rb_],
  ['rollback: the tool\'s own overhead (beyond the bare start and 2 x 250 ms check spacing)', rb_ - b - RB_SPACING],
  ...(BEFORE
    ? [
        ['older build (BENCH_BEFORE): deploy, own overhead', median(oldDeploys) - b - SPACING],
        ['older build (BENCH_BEFORE): rollback, own overhead', median(oldRollbacks) - b - RB_SPACING],
      ]
    : []),
];
const table = ['| measurement | median ms |', '| --- | ---: |', ...rows.map(([n, ms]) => `| ${n} | ${ms.toFixed(0)} |`)].join('\n');
console.log(table);
const verdict = (x) => (x < 300 ? 'met' : 'NOT met');
console.log(`goal: own overhead under 300 ms -> deploy ${verdict(d - b - SPACING)}, rollback ${verdict(rb_ - b - RB_SPACING)}`);
writeSection(
  'Deploy (bench/deploy.mjs)',
  `${machine()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end, ${N} interleaved runs each (deploys alternate 1.1.0 / 1.0.0 on the embedded service, then ${N} rollbacks of 1.1.0 to a backup of 1.0.0; health checks 150 ms apart in a deploy and 250 ms apart in a rollback, 3 consecutive OK required). Goal (#15): the tool's own overhead under 300 ms each: deploy ${verdict(d - b - SPACING)}, rollback ${verdict(rb_ - b - RB_SPACING)}.\n\n${table}`,
);
