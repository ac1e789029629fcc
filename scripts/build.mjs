// Bundles the CLI (and the embedded dhash service) with esbuild into dist/, and writes the man
// page dist/rollout.1 from the same help text as `rollout --help`. Code splitting keeps each
// subcommand, the TUI and heavy libraries in their own chunks, loaded only when used. Every
// library is inlined: the published package has no runtime dependencies.
import { readFileSync, readdirSync, rmSync, existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// What the config cache (src/config/cached-context.ts) is keyed to: the sources and the locked
// dependencies, so that any change to how files are validated validates them again.
export function buildId() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(p.slice(root.length)).update(readFileSync(p));
    }
  };
  walk(join(root, 'src'));
  for (const f of ['package.json', 'package-lock.json']) if (existsSync(join(root, f))) h.update(readFileSync(join(root, f)));
  return h.digest('hex').slice(0, 24);
}
// Worker threads' entries (src/backup/worker-entry.ts finds them as dist/workers/NAME.js).
export const WORKERS = { 'workers/write-worker': join(root, 'src/backup/write-worker.ts'), 'workers/pack-worker': join(root, 'src/backup/pack-worker.ts'), 'workers/hash-worker': join(root, 'src/backup/hash-worker.ts') };
const define = { __ROLLOUT_VERSION__: JSON.stringify(pkg.version), __ROLLOUT_BUILD_ID__: JSON.stringify(buildId()), 'process.env.NODE_ENV': '"production"' };

async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    return undefined;
  }
}

/** Bundle into `outdir` (tests build their own copy so that parallel runs never share one). */
export async function bundle(outdir = join(root, 'dist')) {
  const esbuild = await loadEsbuild();
  if (!esbuild) throw new Error('esbuild is not installed: run `npm install` (with dev dependencies) to build');
  rmSync(outdir, { recursive: true, force: true });
  // The help code first: the man page, and the top-level help that the CLI's entry prints for
  // `rollout --help` without loading commander (src/cli/top-help.ts).
  const help = await helpModule(esbuild);
  const entryPoints = { cli: join(root, 'src/cli/index.ts'), ...WORKERS };
  if (existsSync(join(root, 'src/demo/service-main.ts'))) entryPoints['dhash-service'] = join(root, 'src/demo/service-main.ts');
  await esbuild.build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    chunkNames: 'chunks/[name]-[hash]',
    // Optional at run time and absent on purpose: ink's devtools hook.
    external: ['react-devtools-core'],
    // A string (parsed when asked): an object define would become a chunk of its own.
    define: { ...define, __ROLLOUT_TOP_HELP__: JSON.stringify(JSON.stringify(help.topHelp)) },
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: { js: "import { createRequire as __rolloutCreateRequire } from 'node:module'; const require = __rolloutCreateRequire(import.meta.url);" },
  });
  writeFileSync(join(outdir, 'rollout.1'), help.man);
}

/** The man page (rendered from the command tree, src/cli/help-text.ts) and the recorded top-level help. */
async function helpModule(esbuild) {
  // A throwaway bundle of the help code, split like the CLI so that no subcommand is loaded.
  const tmp = mkdtempSync(join(tmpdir(), 'rollout-help-build-'));
  try {
    await esbuild.build({
      entryPoints: { man: join(root, 'src/cli/man-entry.ts') },
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
      define,
      external: ['react-devtools-core'],
      banner: { js: "import { createRequire as __rolloutCreateRequire } from 'node:module'; const require = __rolloutCreateRequire(import.meta.url);" },
    });
    const m = await import(pathToFileURL(join(tmp, 'man.js')).href);
    return {
      man: m.renderManPage(new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now())),
      topHelp: m.renderTopHelpLayout(),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lifecycle = process.env.npm_lifecycle_event;
  // `npm pack` and `npm publish` run prepack, then prepare: one build is enough.
  if (lifecycle === 'prepare' && ['pack', 'publish'].includes(process.env.npm_command ?? '')) process.exit(0);
  if (lifecycle === 'prepare' && !(await loadEsbuild())) {
    // `npm ci --omit=dev` in a checkout: no bundler, so no build. An existing dist/ stays usable
    // (the bundle needs no package at run time); without one, `rollout` says how to build it.
    process.stderr.write(`guarded-rollout: esbuild is not installed (dev dependencies omitted), so dist/ was ${existsSync(join(root, 'dist', 'cli.js')) ? 'left as it was' : 'not built; run `npm install` with dev dependencies to build it'}.\n`);
    process.exit(0);
  }
  await bundle();
}
