// Generated deploy trees for the backup benchmarks: large incompressible files, a JS-like mix, and
// many small files. Deterministic (a seeded generator), so runs compare like with like.
/* global Buffer */
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const MiB = 1024 * 1024;

/** A workspace with the shipped runbook (its service on `port`) and config. */
export function workspace(dir, port) {
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'quality-gates-config.json'), join(dir, 'quality-gates-config.json'));
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  writeFileSync(join(dir, 'runbooks', 'dhash.yaml'), readFileSync(join(root, 'runbooks', 'dhash.yaml'), 'utf8').replaceAll('7412', String(port)));
  return dir;
}

/** Lay out a deployed release of `envName` (current link, config, migration state); returns the release folder. */
export function deployed(ws, envName, version) {
  const rel = join(ws, 'deployments', envName, 'releases', version);
  mkdirSync(rel, { recursive: true });
  symlinkSync(`releases/${version}`, join(ws, 'deployments', envName, 'current'));
  mkdirSync(join(ws, 'config', envName), { recursive: true });
  writeFileSync(join(ws, 'config', envName, 'dhash.json'), JSON.stringify({ env: envName, version }));
  mkdirSync(join(ws, 'migrations'), { recursive: true });
  writeFileSync(join(ws, 'migrations', `${envName}_migration_state.json`), '{"applied":[]}');
  return rel;
}

/** The paths `zip -r` is given to take what a backup of `envName` takes. */
export const zipPaths = (envName) => [`deployments/${envName}/releases`, `deployments/${envName}/current`, `config/${envName}`, 'migrations'];

let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const words = 'const function return import export default async await module require value data hash image index error result config request response this null undefined true false'.split(' ');
let text;
/** 2 MiB of JavaScript-like text (compresses about 4:1 with deflate -6, as minified JS does). */
function jsText() {
  if (text) return text;
  const parts = [];
  for (let n = 0; n < 2 * MiB; ) {
    const w = `${words[Math.floor(rnd() * words.length)]}${rnd() < 0.1 ? ';\n' : rnd() < 0.3 ? '(' : ' '}${rnd() < 0.08 ? String(Math.floor(rnd() * 1e6)) : ''}`;
    parts.push(w);
    n += w.length;
  }
  return (text = Buffer.from(parts.join('')));
}
let block;
/** Write `bytes` of incompressible data (a random 64 MiB block repeated: farther apart than deflate sees). */
export function randomFile(path, bytes) {
  block ??= randomBytes(64 * MiB);
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; ) {
    const n = Math.min(block.length, bytes - done);
    writeSync(fd, block, 0, n);
    done += n;
  }
  closeSync(fd);
}

/** `count` JS-like files of 200 B to 20 KiB in node_modules-like folders (4.2 KiB on average, like the 50k files of 202 MiB in issue #15). */
export function smallFiles(rel, count, prefix = 'node_modules') {
  const t = jsText();
  let bytes = 0;
  const made = new Set();
  for (let i = 0; i < count; i++) {
    const dir = join(rel, prefix, `pkg${i % Math.max(1, Math.floor(count / 40))}`, i % 3 ? 'lib' : 'dist');
    if (!made.has(dir)) mkdirSync(dir, { recursive: true });
    made.add(dir);
    const size = 200 + Math.floor(rnd() ** 4 * 20_000);
    const off = Math.floor(rnd() * (t.length - size));
    writeFileSync(join(dir, `file${i}.js`), t.subarray(off, off + size));
    bytes += size;
  }
  return bytes;
}

/** A mix like a real service release: 5000 small JS files, a 48 MiB model, a 16 MiB asset, 32 MiB of text data. */
export function mixTree(rel) {
  smallFiles(rel, 5000);
  randomFile(join(rel, 'model.bin'), 48 * MiB);
  randomFile(join(rel, 'assets.bin'), 16 * MiB);
  const fd = openSync(join(rel, 'seed-data.txt'), 'w');
  for (let i = 0; i < 16; i++) writeSync(fd, jsText());
  closeSync(fd);
}

/** Large incompressible files adding up to `total` bytes (256 MiB each). */
export function largeTree(rel, total) {
  for (let i = 0, done = 0; done < total; i++, done += 256 * MiB) randomFile(join(rel, `artifact-${i}.bin`), Math.min(256 * MiB, total - done));
}
