// Backups: one run, ratios against the standard tools on this machine.
//  - verify of a 1 GiB backup (archive hash + every entry's CRC and SHA-256) vs `sha256sum` (goal >= 1.5x)
//  - backup of a realistic deploy tree (thousands of small files, a few large) vs `zip -r -6`, and
//    restore (extract + per-entry checks) vs `unzip` (goal: no slower)
//  - peak RSS of backup, verify and restore of a 2 GiB backup (goal < 200 MB)
//  - rollback of the demo service, from the command to the third OK health check
// Builds a private bundle (never touches dist/), works in temp folders and removes them.
/* global setTimeout, Buffer */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freePort, machine, median, writeSection } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const RUNS = 5;
for (const tool of ['zip', 'unzip', 'sha256sum', '/usr/bin/time']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench: ${tool} is missing (apt-get install -y zip unzip time).`);
    process.exit(2);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'rollout-bench-backup-'));
const cleanup = () => rmSync(scratch, { recursive: true, force: true });
process.on('exit', cleanup);

// A private bundle of the CLI, and a tiny restore runner over src/backup/restore.ts.
const dist = join(scratch, 'dist');
const { bundle } = await import('../scripts/build.mjs');
await bundle(dist);
const cli = join(dist, 'cli.js');
const runner = join(scratch, 'restore-runner.mjs');
await build({
  stdin: {
    contents: `
      import { stageBackup } from './src/backup/restore.ts';
      import { readBackupManifest } from './src/backup/verify.ts';
      const [zip, dest] = process.argv.slice(2);
      const manifest = await readBackupManifest(zip);
      await stageBackup({ root: dest }, zip, zip, manifest.roots, 'bench');
    `,
    resolveDir: root,
    sourcefile: 'restore-runner.ts',
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: runner,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

const env = { ...process.env, NO_COLOR: '1', ROLLOUT_OPERATOR: 'bench', ROLLOUT_PACKAGE_ROOT: root };
function workspace(name, port) {
  const ws = join(scratch, name);
  mkdirSync(ws, { recursive: true });
  cpSync(join(root, 'quality-gates-config.json'), join(ws, 'quality-gates-config.json'));
  mkdirSync(join(ws, 'runbooks'));
  writeFileSync(join(ws, 'runbooks', 'dhash.yaml'), readFileSync(join(root, 'runbooks', 'dhash.yaml'), 'utf8').replaceAll('7412', String(port)));
  return ws;
}
function rollout(ws, ...args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: ws, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rollout ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}
function timed(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
/** Peak RSS in MB of a command, from GNU time -v. */
function peakRss(cmd, args, cwd) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-500)}`);
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  return kb / 1024;
}
/** Write `bytes` of incompressible data (a random 64 MiB block repeated: farther apart than deflate sees). */
function randomFile(path, bytes, block) {
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; ) {
    const n = Math.min(block.length, bytes - done);
    writeSync(fd, block, 0, n);
    done += n;
  }
  closeSync(fd);
}
function deployed(ws, envName, version) {
  const rel = join(ws, 'deployments', envName, 'releases', version);
  mkdirSync(rel, { recursive: true });
  symlinkSync(`releases/${version}`, join(ws, 'deployments', envName, 'current'));
  mkdirSync(join(ws, 'config', envName), { recursive: true });
  writeFileSync(join(ws, 'config', envName, 'dhash.json'), JSON.stringify({ env: envName, version }));
  mkdirSync(join(ws, 'migrations'), { recursive: true });
  writeFileSync(join(ws, 'migrations', `${envName}_migration_state.json`), '{"applied":[]}');
  return rel;
}
const latest = (ws) => join(ws, 'backups', readdirSync(join(ws, 'backups')).filter((f) => f.endsWith('.zip')).sort().reverse()[0]);
const fmt = (ms) => (ms / 1000).toFixed(2);
const block = randomBytes(64 * MiB);
const loadBefore = loadavg()[0].toFixed(2);
const rows = [];

// 1. Verify vs sha256sum: a 256 MiB backup, then the same tree grown to 1 GiB.
const big = workspace('big', await freePort());
const bigRel = deployed(big, 'staging', '1.0.0');
function verifyVsSha(label, files) {
  console.log(`bench: verify of a ${label} backup vs sha256sum ...`);
  for (const [name, bytes] of files) randomFile(join(bigRel, name), bytes, block);
  rmSync(join(big, 'backups'), { recursive: true, force: true });
  rollout(big, 'backup', '--env', 'staging');
  const zipRel = latest(big).slice(big.length + 1);
  const tVerify = [];
  const tSha = [];
  timed('sha256sum', [zipRel], big); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    tVerify.push(timed(process.execPath, [cli, 'verify', zipRel], big));
    tSha.push(timed('sha256sum', [zipRel], big));
  }
  const ratio = median(tSha) / median(tVerify);
  rows.push([`verify of a ${label} backup (archive hash + every entry; whole CLI process) vs \`sha256sum\``, `${fmt(median(tVerify))} s vs ${fmt(median(tSha))} s`, `${ratio.toFixed(2)}x`, '>= 1.5x', ratio >= 1.5 ? 'met' : 'NOT met']);
}
verifyVsSha('256 MiB', [['artifact-0.bin', 256 * MiB]]);
verifyVsSha('1 GiB', [1, 2, 3].map((i) => [`artifact-${i}.bin`, 256 * MiB]));

// 2. Peak RSS with a 2 GiB backup (the same tree grown to 2 GiB).
console.log('bench: peak RSS with a 2 GiB backup ...');
for (let i = 4; i < 8; i++) randomFile(join(bigRel, `artifact-${i}.bin`), 256 * MiB, block);
rmSync(join(big, 'backups'), { recursive: true, force: true });
const rssBackup = peakRss(process.execPath, [cli, 'backup', '--env', 'staging'], big);
const zip2 = latest(big);
const gib2 = (statSync(zip2).size / 1024 ** 3).toFixed(2);
const rssVerify = peakRss(process.execPath, [cli, 'verify', zip2.slice(big.length + 1)], big);
const restoreDest = join(scratch, 'restore-rss');
mkdirSync(restoreDest);
const rssRestore = peakRss(process.execPath, [runner, zip2, restoreDest], big);
rmSync(restoreDest, { recursive: true, force: true });
const rssMax = Math.max(rssBackup, rssVerify, rssRestore);
rows.push([`peak RSS: backup / verify / restore of a ${gib2} GiB backup`, `${rssBackup.toFixed(0)} / ${rssVerify.toFixed(0)} / ${rssRestore.toFixed(0)} MB`, `${rssMax.toFixed(0)} MB max`, '< 200 MB', rssMax < 200 ? 'met' : 'NOT met']);
rmSync(big, { recursive: true, force: true });

// 3. A realistic deploy tree: 5000 small text files, a few large ones.
console.log('bench: backup vs zip -r -6 and restore vs unzip on a realistic tree ...');
const tree = workspace('tree', await freePort());
const treeRel = deployed(tree, 'staging', '2.0.0');
const words = 'const function return import export default async await module require value data hash image index error result config request response'.split(' ');
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const textParts = [];
for (let n = 0; n < 2 * MiB; ) {
  const w = `${words[Math.floor(rnd() * words.length)]}${rnd() < 0.1 ? '\n' : ' '}${rnd() < 0.05 ? String(Math.floor(rnd() * 1e6)) : ''}`;
  textParts.push(w);
  n += w.length;
}
const text = Buffer.from(textParts.join(''));
for (let i = 0; i < 5000; i++) {
  const dir = join(treeRel, 'node_modules', `pkg${i % 120}`, i % 3 ? 'lib' : 'dist');
  mkdirSync(dir, { recursive: true });
  const size = 300 + Math.floor(rnd() * 24_000);
  const off = Math.floor(rnd() * (text.length - size));
  writeFileSync(join(dir, `file${i}.js`), text.subarray(off, off + size));
}
randomFile(join(treeRel, 'model.bin'), 48 * MiB, block);
randomFile(join(treeRel, 'assets.bin'), 16 * MiB, block.subarray(MiB));
const logFd = openSync(join(treeRel, 'seed-data.txt'), 'w');
for (let i = 0; i < 16; i++) writeSync(logFd, text);
closeSync(logFd);
const treeBytes = Number(execFileSync('du', ['-sb', treeRel], { encoding: 'utf8' }).split('\t')[0]);
const zipOut = join(scratch, 'tree.zip');
const tOurs = [];
const tZip = [];
const zipArgs = ['-r', '-6', '-q', '-y', zipOut, 'deployments/staging/releases', 'deployments/staging/current', 'config/staging', 'migrations'];
timed('zip', zipArgs, tree); // warm
rmSync(zipOut, { force: true });
// Ours ends with an fsync (a backup must survive a power cut) and zip does not; flush dirty data
// before each timed run so that neither pays for the other's writes, and alternate who goes first.
const ourBackup = () => {
  rmSync(join(tree, 'backups'), { recursive: true, force: true });
  spawnSync('sync');
  tOurs.push(timed(process.execPath, [cli, 'backup', '--env', 'staging'], tree));
};
const theirZip = () => {
  rmSync(zipOut, { force: true });
  spawnSync('sync');
  tZip.push(timed('zip', zipArgs, tree));
};
for (let i = 0; i < RUNS; i++) {
  if (i % 2) {
    theirZip();
    ourBackup();
  } else {
    ourBackup();
    theirZip();
  }
}
const ourZip = latest(tree);
const ourSize = statSync(ourZip).size;
const zipSize = statSync(zipOut).size;
const bRatio = median(tZip) / median(tOurs);
rows.push([`backup of a deploy tree (5000 small files + 3 large, ${(treeBytes / MiB).toFixed(0)} MiB) vs \`zip -r -6\``, `${fmt(median(tOurs))} s, ${(ourSize / MiB).toFixed(1)} MiB vs ${fmt(median(tZip))} s, ${(zipSize / MiB).toFixed(1)} MiB`, `${bRatio.toFixed(2)}x`, '>= 1x', bRatio >= 1 ? 'met' : 'NOT met']);

const tRestore = [];
const tUnzip = [];
// File creation dominates both sides and its cost on this disk swings with the dirty data left by
// the previous run: flush before each timed run, and alternate who goes first.
const ours = (i) => {
  const a = join(scratch, `r${i}`);
  mkdirSync(a);
  spawnSync('sync');
  tRestore.push(timed(process.execPath, [runner, ourZip, a], tree));
  rmSync(a, { recursive: true, force: true });
};
const theirs = (i) => {
  const b = join(scratch, `u${i}`);
  spawnSync('sync');
  tUnzip.push(timed('unzip', ['-q', ourZip, '-d', b], tree));
  rmSync(b, { recursive: true, force: true });
};
for (let i = 0; i < RUNS; i++) {
  if (i % 2) {
    theirs(i);
    ours(i);
  } else {
    ours(i);
    theirs(i);
  }
}
const rRatio = median(tUnzip) / median(tRestore);
rows.push(['restore of that backup (extract + CRC + SHA-256 of every entry) vs `unzip`', `${fmt(median(tRestore))} s vs ${fmt(median(tUnzip))} s`, `${rRatio.toFixed(2)}x`, '>= 1x', rRatio >= 1 ? 'met' : 'NOT met']);
rmSync(tree, { recursive: true, force: true });
rmSync(zipOut, { force: true });

// 4. Rollback of the demo service: command -> third OK health check.
console.log('bench: rollback of the demo service ...');
const demo = workspace('demo', await freePort());
const tRollback = [];
const tWhole = [];
try {
  rollout(demo, 'deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
  rollout(demo, 'backup', '--env', 'staging');
  for (let i = 0; i < RUNS; i++) {
    rollout(demo, 'deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
    const start = Date.now();
    const out = JSON.parse(rollout(demo, 'rollback', '--env', 'staging', '--json'));
    tWhole.push(Date.now() - start);
    const events = readFileSync(join(demo, out.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const third = events.find((e) => e.event === 'rollback.health_check' && e.ok && e.streak === 3);
    tRollback.push(Date.parse(third.ts) - start);
  }
} finally {
  spawnSync(process.execPath, [cli, 'service', 'stop', '--env', 'staging'], { cwd: demo, env, stdio: 'ignore' });
}
rows.push(['rollback of the demo service: `rollout rollback` -> third OK health check', `${fmt(median(tRollback))} s (whole command incl. smoke, incident: ${fmt(median(tWhole))} s)`, '', '', '']);

const table = [
  '| measurement | result | ratio | goal | |',
  '| --- | --- | ---: | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(`\n${table}`);
writeSection(
  'Backups, verify, restore, rollback (bench/backup.mjs)',
  `${machine()}, load average ${loadBefore} at the start and ${loadavg()[0].toFixed(2)} at the end (other work shared the 2 cores; file creation times on this disk varied 3x between identical runs); medians of ${RUNS} interleaved runs, page cache warm for both sides; our side is the real CLI process (backup, verify) or a bundled restore runner (stageBackup), the other side the standard tool. Ratio = tool time / our time (higher is better for us). Test data: random 64 MiB blocks (incompressible) and generated JavaScript-like text.\n\n${table}`,
);
setTimeout(() => process.exit(0), 0);
