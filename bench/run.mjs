// `npm run bench`: every benchmark in this folder, one after another, each printing its table
// and writing its section of bench/RESULTS.md. Pass names to run only some: npm run bench -- startup
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs') && !['run.mjs', 'lib.mjs'].includes(f)).sort();
let failed = 0;
for (const f of all) {
  if (only.length && !only.some((o) => f.startsWith(o))) continue;
  console.log(`\n=== bench/${f}`);
  const r = spawnSync(process.execPath, [`${dir}${f}`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
