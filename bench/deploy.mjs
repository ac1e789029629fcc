// Deploy and rollback: time from `rollout deploy` (or `rollout rollback`) to the third OK health
// check of the new (or restored) release, against the bare start of the service process (spawn ->
// first OK /health) in the same run, interleaved so that machine noise hits both alike. The tool's
// own overhead is what remains beyond the bare start and the spacing of the three checks: two
// intervals of the tool's check spacing, 150 ms for a deploy to the local target
// (src/usecases/deploy/stages.ts) and 250 ms for a rollback (src/usecases/rollback.ts). Goal (#15):
// under 300 ms each. Each run is judged against the bare start of its own round (medians of >= 7
// rounds: one slow round moves the median little), and the tool's CPU (wait4) is reported beside
// the wall time: it moves far less with the machine's load. BENCH_RUNS sets the number of rounds.
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
const N = Number(process.env.BENCH_RUNS ?? 7);
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

// One measured run of the tool, under /usr/bin/time (wait4) when it is there: the tool's own CPU
// (user + system; the service it starts is detached and never waited for, so not counted) is far
// less sensitive to the machine's load than the wall time.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function runTool(bin, args) {
  const cmd = TIME ? [TIME, ['-f', 'CPU %U %S', process.execPath, bin, ...args]] : [process.execPath, [bin, ...args]];
  const t0 = Date.now();
  const r = spawnSync(cmd[0], cmd[1], { cwd: wsOf.get(bin), encoding: 'utf8', env: runEnv });
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  return { t0, r, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

// Where a rollback's time goes: ms from the tool's spawn to each of these, read from its own log.
const MARKS = [
  ['first log line', (e) => e.event === 'rollback.start'],
  ['archive ok', (e) => e.event === 'rollback.stage' && e.stage === 'archive' && e.status === 'ok'],
  ['restore ok', (e) => e.event === 'rollback.stage' && e.stage === 'restore' && e.status === 'ok'],
  ['old stopped', (e) => e.event === 'rollback.restart_output' && e.line.startsWith('stopped')],
  ['new spawned', (e) => e.event === 'rollback.restart_output' && e.line.startsWith('started')],
  ['restart ok', (e) => e.event === 'rollback.stage' && e.stage === 'restart' && e.status === 'ok'],
  ['first OK check', (e) => e.event === 'rollback.health_check' && e.ok && e.streak === 1],
];

function rollbackOnce(bin = cli) {
  const { t0, r, cpuMs } = runTool(bin, ['rollback', '--env', 'staging', '--json']);
  if (r.status !== 0) throw new Error(`rollback exited ${r.status}: ${r.stderr}`);
  const { log } = JSON.parse(r.stdout);
  const events = readFileSync(join(wsOf.get(bin), log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const third = events.find((e) => e.event === 'rollback.health_check' && e.ok && e.streak === 3);
  const marks = MARKS.map(([, is]) => {
    const e = events.find(is);
    return e ? Date.parse(e.ts) - t0 : NaN;
  });
  return { ms: Date.parse(third.ts) - t0, cpuMs, marks };
}

function deployOnce(version, bin = cli) {
  const { t0, r, cpuMs } = runTool(bin, ['deploy', '--env', 'staging', '--version', version, '--no-monitor', '--json']);
  if (r.status !== 0) throw new Error(`deploy ${version} exited ${r.status}: ${r.stderr}`);
  const { log } = JSON.parse(r.stdout);
  const third = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'deploy.health' && e.ok && e.streak === 3);
  return { ms: Date.parse(third.ts) - t0, cpuMs };
}

// The spacing each command keeps between its three checks (kept for safety, not overhead).
const SPACING = 2 * 150;
const RB_SPACING = 2 * 250;
// Per build: the wall time of each run to its third OK check; the overhead is the median of those
// minus the median bare start minus the spacing (a median of differences paired by round was
// noisier: one bare start per round carries all of its own noise into the pair).
const series = () => ({ deploy: [], rollback: [], deployCpu: [], rollbackCpu: [], rollbackMarks: [] });
const runs = new Map([[cli, series()], ...(BEFORE ? [[BEFORE, series()]] : [])]);
const bare = [];
try {
  // Not measured: in each workspace the first deploys (migrations, copies, the config cache), then a
  // backup of 1.0.0 with both releases in place, which every measured rollback restores.
  for (const bin of wsOf.keys()) {
    for (const v of ['1.0.0', '1.1.0', '1.0.0']) deployOnce(v, bin);
    const b = spawnSync(process.execPath, [bin, 'backup', '--env', 'staging'], { cwd: wsOf.get(bin), env: runEnv });
    if (b.status !== 0) throw new Error(`backup exited ${b.status}`);
  }
  // Each round: a bare start, then per build a deploy of 1.1.0 over 1.0.0 and a rollback back to
  // 1.0.0. The builds take turns going first: the first after the bare start ran 80 ms slower in an A/A run.
  for (let i = 0; i < N; i++) {
    bare.push(await bareStart());
    const order = [...wsOf.keys()];
    if (i % 2) order.reverse();
    for (const bin of order) {
      const s = runs.get(bin);
      const d = deployOnce('1.1.0', bin);
      s.deploy.push(d.ms);
      s.deployCpu.push(d.cpuMs);
      const rb = rollbackOnce(bin);
      s.rollback.push(rb.ms);
      s.rollbackCpu.push(rb.cpuMs);
      s.rollbackMarks.push(rb.marks);
    }
  }
} finally {
  for (const [bin, dir] of wsOf) {
    spawnSync(process.execPath, [bin, 'service', 'stop', '--env', 'staging'], { cwd: dir, stdio: 'ignore', env: runEnv });
    rmSync(dir, { recursive: true, force: true });
  }
}
const nodeCpu = [];
for (let i = 0; i < 5 && TIME; i++) {
  const r = spawnSync(TIME, ['-f', 'CPU %U %S', process.execPath, '-e', ''], { encoding: 'utf8' });
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (m) nodeCpu.push((Number(m[1]) + Number(m[2])) * 1000);
}
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const spread = (xs, minus = 0) => `${f0(Math.min(...xs) - minus)} .. ${f0(Math.max(...xs) - minus)}`;
const b = median(bare);
const cur = runs.get(cli);
const old = BEFORE ? runs.get(BEFORE) : undefined;
const rows = [
  ['bare service start (spawn -> first OK /health)', b, spread(bare), ''],
  ['rollout deploy -> third OK health check', median(cur.deploy), spread(cur.deploy), ''],
  ['deploy: the tool\'s own overhead (beyond the bare start and 2 x 150 ms check spacing)', median(cur.deploy) - b - SPACING, spread(cur.deploy, b + SPACING), f0(median(cur.deployCpu))],
  ['rollout rollback -> third OK health check', median(cur.rollback), spread(cur.rollback), ''],
  ['rollback: the tool\'s own overhead (beyond the bare start and 2 x 250 ms check spacing)', median(cur.rollback) - b - RB_SPACING, spread(cur.rollback, b + RB_SPACING), f0(median(cur.rollbackCpu))],
  ...(old
    ? [
        ['older build (BENCH_BEFORE): deploy, own overhead', median(old.deploy) - b - SPACING, spread(old.deploy, b + SPACING), f0(median(old.deployCpu))],
        ['older build (BENCH_BEFORE): rollback, own overhead', median(old.rollback) - b - RB_SPACING, spread(old.rollback, b + RB_SPACING), f0(median(old.rollbackCpu))],
      ]
    : []),
  ...(nodeCpu.length ? [['node -e \'\' (for scale: its CPU)', NaN, '', f0(median(nodeCpu))]] : []),
];
const table = ['| measurement | median ms | range ms | tool CPU ms (user+sys, median) |', '| --- | ---: | ---: | ---: |', ...rows.map(([n, ms, r, c]) => `| ${n} | ${Number.isFinite(ms) ? ms.toFixed(0) : ''} | ${r} | ${c} |`)].join('\n');
console.log(table);
const verdict = (x) => (x < 300 ? 'met' : 'NOT met');
const dOver = median(cur.deploy) - b - SPACING;
const rOver = median(cur.rollback) - b - RB_SPACING;
console.log(`goal: own overhead under 300 ms -> deploy ${verdict(dOver)}, rollback ${verdict(rOver)}`);
// Per build, the median ms from the rollback's spawn to each mark (its own log; ms resolution).
const marksLine = (name, s) => `${name}: ${MARKS.map(([label], i) => `${label} ${f0(median(s.rollbackMarks.map((m) => m[i]).filter(Number.isFinite)))}`).join(', ')}`;
const marks = [marksLine('rollback, ms from spawn (medians)', cur), ...(old ? [marksLine('older build', old)] : [])].join('\n');
console.log(marks);
writeSection(
  'Deploy (bench/deploy.mjs)',
  `${machine()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end, ${N} rounds, each: a bare start, then per build (taking turns going first) a deploy of 1.1.0 over 1.0.0 on the embedded service and a rollback to a backup of 1.0.0; health checks 150 ms apart in a deploy and 250 ms apart in a rollback, 3 consecutive OK required. Overhead: the median wall time minus the median bare start and the spacing (ranges: each run against the median bare start). CPU from wait4 (/usr/bin/time) of the tool's process alone. Goal (#15): the tool's own overhead under 300 ms each: deploy ${verdict(dOver)}, rollback ${verdict(rOver)}.\n\n${table}\n\n${marks.split('\n').join('  \n')}`,
);
