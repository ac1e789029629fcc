// Bundles the CLI (and the embedded dhash service) with esbuild into dist/. Code splitting keeps
// each subcommand, the TUI and heavy libraries in their own chunks, loaded only when used.
import { build } from 'esbuild';
import { readFileSync, rmSync, existsSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const entryPoints = { cli: 'src/cli/index.ts' };
if (existsSync('src/demo/service-main.ts')) entryPoints['dhash-service'] = 'src/demo/service-main.ts';

await build({
  entryPoints,
  outdir: 'dist',
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
