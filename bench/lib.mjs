// Shared bench helpers: timing commands, medians, and writing one's own section of RESULTS.md.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

/** Wall time of one run of a command, in ms. */
export function timeOnce(cmd, args, opts = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: 'ignore', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Replace (or add) the section headed `## title` in bench/RESULTS.md. */
export function writeSection(title, body) {
  const head = `## ${title}`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n\nWritten by `npm run bench`; each section by its own benchmark, on the machine named in it.\n';
  const start = text.indexOf(`\n${head}\n`);
  const section = `\n${head}\n\n${body.trim()}\n`;
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + head.length + 2);
    text = text.slice(0, start) + section + (next >= 0 ? text.slice(next) : '');
  } else text = `${text.trimEnd()}\n${section}`;
  writeFileSync(RESULTS, text);
}

/** A one-line description of this machine for the tables. */
export function machine() {
  const cpus = spawnSync('nproc', [], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  return `${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus} cores`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Bundle the named engine exports (lines of `export { x } from './src/...ts'`) into OUTFILE and import them, so plain node runs the TypeScript engine. */
export async function bundleEngine(exportLines, outfile) {
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: exportLines.join('\n'), resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(outfile).href);
}
