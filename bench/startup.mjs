// Start-up: `rollout --help` (the bundle) against a bare `node -e ''` start, interleaved in one
// run so that machine noise hits both alike; reported as a ratio of medians.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, median, timeOnce, writeSection } from './lib.mjs';

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
timeOnce(process.execPath, [cli, '--help']); // warm the file cache
for (let i = 0; i < N; i++) {
  bare.push(timeOnce(process.execPath, ['-e', '']));
  help.push(timeOnce(process.execPath, [cli, '--help']));
  version.push(timeOnce(process.execPath, [cli, '--version']));
}
const b = median(bare);
const rows = [
  ['node -e \'\' (bare start)', b, 1],
  ['rollout --help', median(help), median(help) / b],
  ['rollout --version', median(version), median(version) / b],
];
const table = ['| command | median ms | ratio to bare node |', '| --- | ---: | ---: |', ...rows.map(([n, ms, r]) => `| ${n} | ${ms.toFixed(1)} | ${r.toFixed(2)}x |`)].join('\n');
console.log(table);
writeSection('Start-up (bench/startup.mjs)', `${machine()}, ${N} interleaved runs each, goal: rollout --help within 4x a bare node start.\n\n${table}`);
