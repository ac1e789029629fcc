// Backups, verify and restore on generated deploy trees, each against its standard peer in the
// same run (issue #15):
//   backup  vs `zip -r -6` then `sha256sum` (what a backup is: an archive and its checksum)
//   verify  vs `openssl dgst -sha256` (large files: the one-pass limit) or `unzip -t` (many files)
//   restore vs `unzip -q -o`
// Trees: large incompressible files, a JS-like mix, and 10k small files by default; with
// BENCH_FULL=1 also 1 GiB of large files and 50k and 200k small files (several minutes more).
// Every figure is the median of BENCH_RUNS (3) interleaved runs (ours, peer, ours, peer ...);
// wall time and peak RSS come from the OS (GNU time). Warm: the page cache holds the files;
// cold: `echo 3 > /proc/sys/vm/drop_caches` before each run, when this user may (root).
// BENCH_BEFORE=/path/to/old/dist adds an older build's backup and verify to the same runs;
// BENCH_BEFORE_SRC=/path/to/an/old/checkout (its src/, scripts/ and package.json) adds its restore runner.
// BENCH_SHAPES=large,mix,small10k,small50k,small200k and BENCH_WORK=backup,verify,restore pick
// rows (e.g. the 200k backup alone, whose restores take minutes); by default all of them run.
// Builds a private bundle (never touches dist/), works in temp folders and removes them.
/* global setTimeout */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { machine, median, writeSection } from './lib.mjs';
import { MiB, deployed, largeTree, mixTree, smallFiles, workspace, zipPaths } from './trees.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FULL = process.env.BENCH_FULL === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'cli.js') : undefined;
for (const tool of ['zip', 'unzip', 'sha256sum', 'openssl', '/usr/bin/time']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench: ${tool} is missing (apt-get install -y zip unzip time openssl).`);
    process.exit(2);
  }
}
const scratch = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'rollout-bench-backup-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

// Probed by dropping the cache once, so only when cold runs are wanted (BENCH_COLD=0 leaves the
// page cache alone: every drop slows everything else on the machine).
const canDrop = process.env.BENCH_COLD !== '0' && (() => {
  try {
    spawnSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
})();
const COLD = canDrop && process.env.BENCH_COLD !== '0';
function dropCaches() {
  spawnSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

// A private bundle of the CLI, and a restore runner over src/backup/restore.ts (stageBackup is
// the restore: extract, check every entry, stage beside the target; the swap is a few renames).
const dist = join(scratch, 'dist');
const { bundle } = await import('../scripts/build.mjs');
await bundle(dist);
const cli = join(dist, 'cli.js');
/**
 * The restore runner of the source tree `tree` in `out`/restore-runner.js: split into chunks and
 * with its worker files as the CLI's bundle is (scripts/build.mjs), so that it loads what a
 * rollback loads (yaml and zod only when the config cache misses). BENCH_BEFORE_SRC builds an
 * older tree's runner with this checkout's node_modules.
 */
async function restoreRunner(tree, out) {
  const b = await import(pathToFileURL(join(tree, 'scripts', 'build.mjs')).href);
  mkdirSync(out, { recursive: true });
  // The bundle's .js files are ES modules, as in the package.
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  const src = join(out, 'restore-runner.ts');
  // An older stageBackup takes no undefined roots.
  const rootsFirst = !readFileSync(join(tree, 'src/backup/restore.ts'), 'utf8').includes('manifestRoots: ManifestRoot[] | undefined');
  const at = (f) => JSON.stringify(join(tree, f));
  writeFileSync(
    src,
    `import { stageBackup } from ${at('src/backup/restore.ts')};
import { backupScope } from ${at('src/backup/scope.ts')};
import { workspaceAt } from ${at('src/config/workspace.ts')};
import { loadEngineContextCached } from ${at('src/config/cached-context.ts')};
${rootsFirst ? `import { readBackupManifest } from ${at('src/backup/verify.ts')};` : ''}
const [zip, src, dest] = process.argv.slice(2);
// As \`rollout rollback\` loads it: through the config cache (yaml and zod only when the files changed).
const ctx = await loadEngineContextCached(workspaceAt(src), 'staging', { operator: 'bench' });
// The roots: a rollback has them from verify (and names the staging folders in its journal);
// here the restore takes them from the archive's manifest, which it reads and checks anyway.
// (Trees before 2026-12-01 10:30 UTC needed them first: their runner reads the manifest twice.)
const roots = ${rootsFirst ? '(await readBackupManifest(zip)).roots' : 'undefined'};
await stageBackup(workspaceAt(dest), zip, zip, roots, 'bench', { scope: backupScope(workspaceAt(dest), ctx.runbook, 'staging') });
`,
  );
  await build({
    entryPoints: { 'restore-runner': src, ...(b.WORKERS ?? {}) },
    outdir: out,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    nodePaths: [join(root, 'node_modules')],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    // The tree's build id: the runner finds the config cache its own tree's CLI left, as a rollback after a backup does.
    define: { __ROLLOUT_BUILD_ID__: JSON.stringify(b.buildId()) },
  });
  return join(out, 'restore-runner.js');
}
const runner = await restoreRunner(root, join(scratch, 'runner'));
const BEFORE_SRC = process.env.BENCH_BEFORE_SRC;
const runnerBefore = BEFORE_SRC ? await restoreRunner(BEFORE_SRC, join(scratch, 'runner-before')) : undefined;

const env = { ...process.env, NO_COLOR: '1', ROLLOUT_OPERATOR: 'bench', ROLLOUT_PACKAGE_ROOT: root };
/** Wall seconds and peak RSS (MiB) of one command, from GNU time. */
function measure(cmd, args, cwd, cold) {
  if (cold) dropCaches();
  const r = spawnSync('/usr/bin/time', ['-f', '@@ %e %M', cmd, ...args], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * MiB });
  const m = /@@ ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-400)}`);
  return { s: Number(m[1]), rss: Number(m[2]) / 1024 };
}
/** Run `sides` (name -> () => {s, rss}) interleaved RUNS times, first mover alternating; medians. */
function interleaved(sides) {
  const got = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  const names = Object.keys(sides);
  for (let i = 0; i < RUNS; i++) {
    for (const n of i % 2 ? [...names].reverse() : names) got[n].push(sides[n]());
  }
  return Object.fromEntries(names.map((n) => [n, { s: median(got[n].map((x) => x.s)), rss: Math.max(...got[n].map((x) => x.rss)) }]));
}
/** A copy of `ws` for BENCH_BEFORE's verify: its runbook, config and the archive (a hard link), with that build's config cache written. */
function beforeWorkspace(ws, archive, rel) {
  const dir = `${ws}-before`;
  rmSync(dir, { recursive: true, force: true });
  for (const p of ['runbooks', 'config', 'quality-gates-config.json']) cpSync(join(ws, p), join(dir, p), { recursive: true });
  mkdirSync(join(dir, 'backups'), { recursive: true });
  linkSync(archive, join(dir, rel));
  linkSync(`${archive}.sha256`, join(dir, `${rel}.sha256`));
  measure(process.execPath, [BEFORE, 'verify', '--env', 'staging'], dir, false);
  return dir;
}
const latest = (ws) => join(ws, 'backups', readdirSync(join(ws, 'backups')).filter((f) => f.endsWith('.zip')).sort().reverse()[0]);

const shapes = [
  { name: FULL ? 'large files, 1 GiB' : 'large files, 256 MiB', key: 'large', fill: (rel) => largeTree(rel, (FULL ? 1024 : 256) * MiB), verifyPeer: 'openssl' },
  { name: 'JS-like mix (5000 small files, 96 MiB in 3 large)', key: 'mix', fill: (rel) => mixTree(rel), verifyPeer: 'unzip' },
  { name: '10k small files', key: 'small10k', fill: (rel) => smallFiles(rel, 10_000), verifyPeer: 'unzip' },
  ...(FULL
    ? [
        { name: '50k small files', key: 'small50k', fill: (rel) => smallFiles(rel, 50_000), verifyPeer: 'unzip' },
        { name: '200k small files', key: 'small200k', fill: (rel) => smallFiles(rel, 200_000), verifyPeer: 'unzip' },
      ]
    : []),
];

const pick = (name) => (process.env[name] ? new Set(process.env[name].split(',').map((x) => x.trim())) : undefined);
const onlyShapes = pick('BENCH_SHAPES');
const onlyWork = pick('BENCH_WORK');
const does = (work) => !onlyWork || onlyWork.has(work);
const loadBefore = loadavg()[0].toFixed(2);
const rows = [];
const backupTimes = {};
const fmt = (x) => `${x.s.toFixed(2)} s, ${x.rss.toFixed(0)} MiB`;
for (const shape of shapes.filter((x) => !onlyShapes || onlyShapes.has(x.key))) {
  console.log(`bench: ${shape.name}: generating ...`);
  const ws = workspace(join(scratch, shape.key), 7400 + rows.length);
  shape.fill(deployed(ws, 'staging', '1.0.0'));
  const bytes = Number(spawnSync('du', ['-sb', join(ws, 'deployments')], { encoding: 'utf8' }).stdout.split('\t')[0]);
  const label = `${shape.name} (${(bytes / MiB).toFixed(0)} MiB)`;
  const zipOut = join(scratch, `${shape.key}.zip`);
  const peerBackup = ['sh', ['-c', `rm -f ${zipOut} && zip -q -r -6 -y ${zipOut} ${zipPaths('staging').join(' ')} && sha256sum ${zipOut} > ${zipOut}.sha256`]];
  const ourBackup = (dist_) => () => {
    rmSync(join(ws, 'backups'), { recursive: true, force: true });
    spawnSync('sync');
    return measure(process.execPath, [dist_, 'backup', '--env', 'staging'], ws, false);
  };
  const peer = () => {
    spawnSync('sync');
    return measure(peerBackup[0], peerBackup[1], ws, false);
  };
  for (const cold of !does('backup') ? [] : COLD ? [false, true] : [false]) {
    const t = cold ? ' (cold cache)' : '';
    console.log(`bench: ${shape.name}: backup${t} ...`);
    const b = interleaved({
      ours: cold ? () => (rmSync(join(ws, 'backups'), { recursive: true, force: true }), measure(process.execPath, [cli, 'backup', '--env', 'staging'], ws, true)) : ourBackup(cli),
      peer: cold ? () => measure(peerBackup[0], peerBackup[1], ws, true) : peer,
      ...(BEFORE && !cold ? { before: ourBackup(BEFORE) } : {}),
    });
    if (!cold) backupTimes[shape.key] = b.ours.s;
    rows.push([label, `backup${t}`, fmt(b.ours), `${fmt(b.peer)} (zip -r -6 + sha256sum)`, `${(b.ours.s / b.peer.s).toFixed(2)}x`, b.before ? fmt(b.before) : '']);
  }
  // The backup to verify and restore: the one our last run wrote.
  rmSync(join(ws, 'backups'), { recursive: true, force: true });
  measure(process.execPath, [cli, 'backup', '--env', 'staging'], ws, false);
  const ours = latest(ws);
  const rel = ours.slice(ws.length + 1);
  const archive = statSync(ours).size;
  for (const cold of !does('verify') ? [] : COLD ? [false, true] : [false]) {
    const t = cold ? ' (cold cache)' : '';
    console.log(`bench: ${shape.name}: verify${t} ...`);
    if (!cold) measure('cat', [ours], ws, false); // warm the cache
    const peerArgs = shape.verifyPeer === 'openssl' ? ['openssl', ['dgst', '-sha256', ours]] : ['unzip', ['-tq', ours]];
    // The older build verifies in a workspace of its own (the same runbook, config and archive):
    // the config cache holds one build's entry, so in `ws` it would miss on every run and pay
    // yaml and zod (~0.1 s) that a user of that build would not.
    const wsBefore = BEFORE && !cold ? beforeWorkspace(ws, ours, rel) : undefined;
    const v = interleaved({
      ours: () => measure(process.execPath, [cli, 'verify', rel], ws, cold),
      peer: () => measure(peerArgs[0], peerArgs[1], ws, cold),
      ...(wsBefore ? { before: () => measure(process.execPath, [BEFORE, 'verify', rel], wsBefore, false) } : {}),
    });
    if (wsBefore) rmSync(wsBefore, { recursive: true, force: true });
    rows.push([label, `verify of the ${(archive / MiB).toFixed(0)} MiB backup${t}`, fmt(v.ours), `${fmt(v.peer)} (${shape.verifyPeer === 'openssl' ? 'openssl dgst -sha256' : 'unzip -t'})`, `${(v.ours.s / v.peer.s).toFixed(2)}x`, v.before ? fmt(v.before) : '']);
  }
  for (const cold of !does('restore') ? [] : COLD ? [false, true] : [false]) {
    const t = cold ? ' (cold cache)' : '';
    console.log(`bench: ${shape.name}: restore${t} ...`);
    let n = 0;
    // Outputs are kept until the set is done: on this journal-less ext4, creating files right
    // after deleting thousands scans ext4's recently_deleted() inodes, and whichever side ran
    // next paid for the other's deletion (p3's perf profile: ~70 % of unzip's samples at 10k).
    const made = [];
    const fresh = () => {
      const d = join(scratch, `r-${shape.key}-${n++}`);
      mkdirSync(d, { recursive: true });
      made.push(d);
      return d;
    };
    // The older runner reads the config from a copy of the workspace's: the config cache keeps one
    // entry per config file, and two builds taking turns would each find the other's entry.
    const cfgBefore = join(scratch, `${shape.key}-config-before`);
    if (runnerBefore && !cold) {
      for (const f of ['quality-gates-config.json', 'runbooks']) cpSync(join(ws, f), join(cfgBefore, f), { recursive: true });
      // Each runner once, unmeasured: its config cache entry is written on the first run.
      measure(process.execPath, [runnerBefore, ours, cfgBefore, fresh()], ws, false);
    }
    measure(process.execPath, [runner, ours, ws, fresh()], ws, false);
    const r = interleaved({
      ours: () => {
        const d = fresh();
        spawnSync('sync');
        return measure(process.execPath, [runner, ours, ws, d], ws, cold);
      },
      peer: () => {
        const d = fresh();
        spawnSync('sync');
        return measure('unzip', ['-q', '-o', ours, '-d', d], ws, cold);
      },
      ...(runnerBefore && !cold
        ? {
            before: () => {
              const d = fresh();
              spawnSync('sync');
              return measure(process.execPath, [runnerBefore, ours, cfgBefore, d], ws, false);
            },
          }
        : {}),
    });
    for (const d of made) rmSync(d, { recursive: true, force: true });
    rows.push([label, `restore${t}`, fmt(r.ours), `${fmt(r.peer)} (unzip -q -o)`, `${(r.ours.s / r.peer.s).toFixed(2)}x`, r.before ? `${fmt(r.before)} (${(r.before.s / r.peer.s).toFixed(2)}x)` : '']);
  }
  rmSync(ws, { recursive: true, force: true });
  rmSync(zipOut, { force: true });
  rmSync(`${zipOut}.sha256`, { force: true });
}
if (backupTimes.small50k && backupTimes.small200k) {
  rows.push(['200k vs 50k small files', 'backup time', `${(backupTimes.small200k / backupTimes.small50k).toFixed(2)}x for 4x the files`, 'linear: 4x', '', '']);
}

const table = ['| tree | work | rollout (median, peak RSS) | peer (median, peak RSS) | ratio (rollout / peer, lower is better) | older build (BENCH_BEFORE; restore: BENCH_BEFORE_SRC) |', '| --- | --- | --- | --- | ---: | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
console.log(`\n${table}`);
// The default run and a BENCH_FULL run each keep their own section; a run that picks rows too.
const variant = [FULL ? 'BENCH_FULL=1' : '', onlyShapes ? `BENCH_SHAPES=${[...onlyShapes].join(',')}` : '', onlyWork ? `BENCH_WORK=${[...onlyWork].join(',')}` : ''].filter(Boolean).join(' ');
writeSection(
  `Backups, verify, restore (bench/backup.mjs${variant ? `, ${variant}` : ''})`,
  `${machine()}, load average ${loadBefore} at the start and ${loadavg()[0].toFixed(2)} at the end: when other work shares the 2 cores, absolute times swing; the ratios compare runs made side by side. Medians of ${RUNS} interleaved runs; peak RSS from GNU time. ${COLD ? 'Cold: page cache dropped before every run.' : process.env.BENCH_COLD === '0' ? 'Cold-cache runs skipped (BENCH_COLD=0).' : 'Cold-cache runs skipped (dropping the page cache needs root).'} ${FULL ? 'BENCH_FULL=1.' : 'Default sizes (BENCH_FULL=1 adds 1 GiB, 50k and 200k files).'}\n\n${table}`,
);
if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
setTimeout(() => process.exit(0), 0);
