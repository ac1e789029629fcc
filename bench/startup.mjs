// Start-up: `rollout --help` and `rollout service status` (the bundle) against a bare `node -e ''` start, interleaved in one
// run so that machine noise hits both alike; reported as a ratio of medians. BENCH_BEFORE=/path/to/old/dist adds an
// older build's --help and service status to the same interleaved runs.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, machine, median, timeOnce, writeSection } from './lib.mjs';
import { workspace } from './trees.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}bin/rollout.js`;
if (!existsSync(`${root}dist/cli.js`)) {
  console.error('bench: dist/ is missing; run npm run build first.');
  process.exit(2);
}
const N = 15;
const bare = [];
const help = [];
const version = [];
const status = [];
const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'cli.js') : undefined;
const oldHelp = [];
const oldStatus = [];
// `service status` in a workspace whose service port is free (nothing listens: a refused probe).
const ws = workspace(mkdtempSync(join(tmpdir(), 'rollout-bench-startup-')), await freePort());
// The older build in a workspace of its own: in one workspace the two builds replace each other's
// config-cache entry (keyed to the build) at every alternation, and both validate on every run.
const oldWs = BEFORE ? workspace(mkdtempSync(join(tmpdir(), 'rollout-bench-startup-')), await freePort()) : undefined;
process.on('exit', () => {
  for (const d of [ws, oldWs]) if (d) rmSync(d, { recursive: true, force: true });
});
const env = { ...process.env, ROLLOUT_PACKAGE_ROOT: root, NO_COLOR: '1' };
const statusArgs = [cli, 'service', 'status', '--env', 'staging'];
timeOnce(process.execPath, [cli, '--help']); // warm the file cache
timeOnce(process.execPath, statusArgs, { cwd: ws, env }); // and validate the config once (the config cache)
if (BEFORE) timeOnce(process.execPath, [BEFORE, ...statusArgs.slice(1)], { cwd: oldWs, env });
for (let i = 0; i < N; i++) {
  bare.push(timeOnce(process.execPath, ['-e', '']));
  help.push(timeOnce(process.execPath, [cli, '--help']));
  version.push(timeOnce(process.execPath, [cli, '--version']));
  status.push(timeOnce(process.execPath, statusArgs, { cwd: ws, env }));
  if (BEFORE) {
    oldHelp.push(timeOnce(process.execPath, [BEFORE, '--help']));
    oldStatus.push(timeOnce(process.execPath, [BEFORE, ...statusArgs.slice(1)], { cwd: oldWs, env }));
  }
}
const b = median(bare);
const rows = [
  ['node -e \'\' (bare start)', b, 1],
  ['rollout --help', median(help), median(help) / b],
  ['rollout --version', median(version), median(version) / b],
  ['rollout service status --env staging (nothing running)', median(status), median(status) / b],
  ...(BEFORE
    ? [
        ['older build (BENCH_BEFORE): rollout --help', median(oldHelp), median(oldHelp) / b],
        ['older build (BENCH_BEFORE): rollout service status', median(oldStatus), median(oldStatus) / b],
      ]
    : []),
];
const table = ['| command | median ms | ratio to bare node |', '| --- | ---: | ---: |', ...rows.map(([n, ms, r]) => `| ${n} | ${ms.toFixed(1)} | ${r.toFixed(2)}x |`)].join('\n');
console.log(table);
writeSection('Start-up (bench/startup.mjs)', `${machine()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end, ${N} interleaved runs each (ratios of runs made side by side). Goals (#15): rollout --help within 1.5x a bare node start, service status within 2x.\n\n${table}`);
