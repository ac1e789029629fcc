// Bundles the CLI (and the embedded dhash service) with esbuild into dist/. Code splitting keeps
// each subcommand, the TUI and heavy libraries in their own chunks, loaded only when used.
import { build } from 'esbuild';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Bundle into `outdir` (tests build their own copy so that parallel runs never share one). */
export async function bundle(outdir = join(root, 'dist')) {
  rmSync(outdir, { recursive: true, force: true });
  const entryPoints = { cli: join(root, 'src/cli/index.ts') };
  if (existsSync(join(root, 'src/demo/service-main.ts'))) entryPoints['dhash-service'] = join(root, 'src/demo/service-main.ts');
  await build({
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
  define: { __ROLLOUT_VERSION__: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __rolloutCreateRequire } from 'node:module'; const require = __rolloutCreateRequire(import.meta.url);" },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundle();
