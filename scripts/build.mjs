// Bundles the CLI (and the embedded dhash service) with esbuild into dist/, and writes the man
// page dist/rollout.1 from the same help text as `rollout --help`. Code splitting keeps each
// subcommand, the TUI and heavy libraries in their own chunks, loaded only when used. Every
// library is inlined: the published package has no runtime dependencies.
import { readFileSync, readdirSync, rmSync, existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, relative } from 'node:path';

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
  // start and main are entries (dist/start.js, dist/main.js) so that the hot graph below can
  // hand a line it does not serve over to them by a fixed name.
  const { 'workers/hash-worker': hashWorker, ...sharedWorkers } = WORKERS;
  const entryPoints = { cli: join(root, 'src/cli/index.ts'), start: join(root, 'src/cli/start.ts'), main: join(root, 'src/cli/main.ts'), ...sharedWorkers };
  if (existsSync(join(root, 'src/demo/service-main.ts'))) entryPoints['dhash-service'] = join(root, 'src/demo/service-main.ts');
  const common = {
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
  };
  // The shared graph: every command; index.ts's import of hot.js is the other build's output.
  await esbuild.build({ ...common, entryPoints, plugins: [external(/^\.\/hot-(rollback|deploy|service|verify)\.js$/, 'src/cli/index.ts'), noInkDevtools] });
  // The hashing thread's entry is one file with no chunks: verify starts it first thing, and its
  // start (~70 ms, on the other core) is what a verify of many small files waits for before that
  // core can read and inflate; each shared chunk it imported was one more file for the new
  // thread's module loader to find, read and link.
  await esbuild.build({ ...common, splitting: false, entryPoints: { 'workers/hash-worker': hashWorker } });
  // The hot graphs (src/cli/hot-*.ts, each starting hot.ts): rollback, deploy, service and verify on
  // the direct path, each a build of its own with its handlers and the modules they always load
  // taken in eagerly, so that a start reads a few files (their chunks are named hot-*). A hot graph
  // never imports the shared graph's chunks: only start.js and main.js, whole entries, for a line
  // it does not serve (two copies of a module would each have their own state).
  for (const [name, eagerList] of Object.entries(HOT_GRAPHS)) {
    // A graph whose entry starts something before the rest loads (hot-verify.ts) has that rest as
    // a second entry (src/cli/NAME-run.ts, beside it in dist/, where hot.ts finds ./start.js).
    const run = existsSync(join(root, `src/cli/${name}-run.ts`)) ? { [`${name}-run`]: join(root, `src/cli/${name}-run.ts`) } : {};
    await esbuild.build({
      ...common,
      entryPoints: { [name]: join(root, `src/cli/${name}.ts`), ...run },
      chunkNames: `chunks/${name}-[name]-[hash]`,
      // Minified (names kept: Function.name and class names read the same) so that the package
      // carries the three extra graphs in ~1 MB more, not ~2.5 MB, and each start parses less.
      minify: true,
      keepNames: true,
      plugins: [external(/^\.\/start\.js$/, 'src/cli/hot.ts'), external(/^\.\/main\.js$/, 'src/cli/direct.ts'), external(/-run\.js$/, `src/cli/${name}.ts`), unreachable(eagerList), eager(eagerList)],
    });
  }
  writeFileSync(join(outdir, 'rollout.1'), help.man);
}

/**
 * Per hot graph (its entry's name; src/cli/index.ts picks one by the command's name), the modules
 * it imports statically where the sources import them lazily: the handlers and what every run of
 * them loads. Not listed, so still loaded on demand: the TUI, what brings in zod or yaml
 * (validation on a cache miss, the manifest schema, migration and release files), undici (the
 * metrics and fleet code), email.
 */
export const HOT_GRAPHS = {
  'hot-rollback': ['src/cli/commands/rollback.ts', 'src/steps/smoke.ts', 'src/usecases/incident.ts', 'src/backup/workspace-scope.ts', 'proper-lockfile'],
  'hot-deploy': ['src/cli/commands/deploy.ts', 'proper-lockfile'],
  'hot-service': ['src/cli/commands/service.ts'],
  'hot-verify': ['src/cli/commands/verify.ts', 'src/backup/workspace-scope.ts'],
};

/**
 * An esbuild plugin: ink's devtools module (imported only when DEV=true) needs react-devtools-core,
 * which the package never ships (external above), so it can only fail to load; it bundled ~130 KB
 * of the `ws` library for that. It becomes a module that fails the same way (ERR_MODULE_NOT_FOUND,
 * on which ink prints its own hint), which pays for the verify graph's room in the package.
 */
const noInkDevtools = {
  name: 'no ink devtools',
  setup(b) {
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (a) => (/[\\/]node_modules[\\/]ink[\\/]/.test(a.importer) ? { path: 'ink-devtools', namespace: 'no-devtools' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'no-devtools' }, () => ({
      contents: `throw Object.assign(new Error("Cannot find package 'react-devtools-core' (not part of this package)"), { code: 'ERR_MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/** An esbuild plugin: `spec` imported from `importer` (relative to the package) stays an import of the output file of that name. */
function external(spec, importer) {
  return {
    name: `external ${spec}`,
    setup(b) {
      b.onResolve({ filter: spec }, (a) => (a.importer === join(root, importer) ? { path: a.path, external: true } : undefined));
    },
  };
}

/**
 * An esbuild plugin: direct.ts's handlers of the commands another hot graph serves (index.ts never
 * sends their command lines to this one) and the TUI's modules become a stub that throws, so that
 * their code is no lazy entry here (each lazy entry sharing modules with the eager ones splits
 * those into more chunks) and the package does not carry it once per graph.
 */
function unreachable(eagerList) {
  return {
    name: 'unreachable',
    setup(b) {
      b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (a) => {
        const target = join(dirname(a.importer), a.path).replace(/\.js$/, '.ts');
        if (a.importer !== join(root, 'src/cli/direct.ts') || eagerList.includes(relative(root, target))) return undefined;
        return { path: target, namespace: 'unreachable' };
      });
      // The screens (Ink, React, yoga: ~2 MB that each graph would otherwise carry) are asked
      // for only at a terminal, and index.ts sends a terminal's command line to the shared graph.
      b.onResolve({ filter: /\/ui\/[^/]+\.js$/ }, (a) => {
        const target = join(dirname(a.importer), a.path).replace(/\.js$/, '');
        return target.startsWith(join(root, 'src/ui/')) && !a.importer.startsWith(join(root, 'src/ui/')) ? { path: target, namespace: 'unreachable' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'unreachable' }, (a) => ({
        contents: `throw new Error(${JSON.stringify(`internal: ${relative(root, a.path)} is not in this module graph (src/cli/index.ts routes its command line elsewhere)`)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * An esbuild plugin: in the sources, `import('X')` of a module named in `targets` (a path
 * relative to the package, or a package name) becomes a static import and a resolved promise of
 * its namespace, so that the module joins its importer's chunk instead of being a chunk of its own.
 */
function eager(targets) {
  const want = new Set(targets.map((t) => (t.startsWith('src/') ? join(root, t) : t)));
  return {
    name: 'eager',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (a) => {
        if (!a.path.startsWith(join(root, 'src'))) return undefined;
        const head = [];
        const text = readFileSync(a.path, 'utf8').replace(/\bimport\((['"])([^'"]+)\1\)/g, (m, q, spec) => {
          const target = spec.startsWith('.') ? join(dirname(a.path), spec).replace(/\.js$/, '.ts') : spec;
          if (!want.has(target)) return m;
          head.push(`import * as __eager${head.length} from ${q}${spec}${q};`);
          return `Promise.resolve(__eager${head.length - 1})`;
        });
        return head.length ? { contents: `${head.join(' ')}${text}`, loader: 'ts' } : undefined;
      });
    },
  };
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
