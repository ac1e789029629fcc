// Where a worker thread's code comes from. Each worker is a module of its own (src/backup/NAME.ts,
// importing what it needs like any other module); the build emits it as dist/workers/NAME.js
// (scripts/build.mjs: WORKERS). A bundle finds that file beside itself; run from the sources
// (vitest, tsx) there is no such file, so the module is bundled in memory with esbuild (a dev
// dependency, present wherever the sources run) and run from that text.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The worker entries: each is src/backup/NAME.ts, and dist/workers/NAME.js once built. */
export type WorkerName = 'write-worker' | 'pack-worker' | 'hash-worker';

const bundled = new Map<WorkerName, string>();

/** The emitted worker file of a bundle: beside the entry (dist/cli.js) or one folder up (dist/chunks/*.js). */
function builtFile(name: WorkerName): URL {
  for (const rel of [`./workers/${name}.js`, `../workers/${name}.js`]) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(u)) return u;
  }
  throw new Error(`the worker file workers/${name}.js is missing beside ${fileURLToPath(import.meta.url)} (an incomplete build?)`);
}

/** The worker module bundled from the sources, as one function's text (once per process and worker; its names stay out of the worker's global scope, where `crypto` is taken). */
function sourceText(name: WorkerName): string {
  let text = bundled.get(name);
  if (text === undefined) {
    // Not a static import: a bundle never loads esbuild (nor needs it).
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({ entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))], bundle: true, platform: 'node', format: 'iife', target: 'node20', write: false, logLevel: 'silent' });
    text = out.outputFiles[0]!.text;
    bundled.set(name, text);
  }
  return text;
}

/** Start the worker `name` (throws when it cannot be started: the caller then works on its own thread). */
export function startWorker(name: WorkerName, opts: WorkerOptions = {}): Worker {
  // (asked here, not at load: a worker's own bundle may hold this module without import.meta)
  const fromSources = import.meta.url.endsWith('.ts');
  return fromSources ? new Worker(sourceText(name), { ...opts, eval: true }) : new Worker(builtFile(name), opts);
}
