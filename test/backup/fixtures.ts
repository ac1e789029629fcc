// Fixtures for the backup tests: a deployed local-target tree made of real files (the layout of
// src/demo/layout.ts), engine contexts on temp workspaces, and hand-crafted hostile archives.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yazl from 'yazl';
import { expect } from 'vitest';
import { ExitCode, RefusedError } from '../../src/domain/errors.js';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { FakeClock, type Clock } from '../../src/domain/clock.js';
import { loadEngineContext, type EngineContext } from '../../src/config/engine-context.js';
import { MANIFEST_FORMAT, type Manifest } from '../../src/backup/manifest.js';
import { ZipWriter } from '../../src/backup/zip.js';

/** Write a file, creating its folders. */
export function put(root: string, rel: string, data: string | Buffer): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

/** Lay out a deployed release of `env` as the local target does: release folder, current link, config, migration state. */
export function deployTree(root: string, env: string, version: string, extra: Record<string, string | Buffer> = {}): void {
  const rel = `deployments/${env}/releases/${version}`;
  put(root, `${rel}/release.json`, JSON.stringify({ version }));
  put(root, `${rel}/app/main.js`, `console.log(${JSON.stringify(version)});\n`.repeat(50));
  mkdirSync(join(root, rel, 'empty'), { recursive: true });
  for (const [k, v] of Object.entries(extra)) put(root, `${rel}/${k}`, v);
  const cur = join(root, `deployments/${env}/current`);
  rmSync(cur, { force: true });
  symlinkSync(`releases/${version}`, cur);
  put(root, `config/${env}/dhash.json`, JSON.stringify({ env, version, settings: {} }));
  put(root, `migrations/${env}_migration_state.json`, JSON.stringify({ applied: [`001-${version}`] }));
  // Runtime files that a backup must leave out.
  put(root, `deployments/${env}/service.pid`, '999999');
  put(root, `deployments/${env}/service.log`, 'log line\n');
}

/** An engine context for `env` on the workspace at `root`. */
export function engine(root: string, env = 'staging', clock: Clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 15, 0))): EngineContext {
  return loadEngineContext(workspaceAt(root), env, { operator: 'tester', clock });
}

/** The workspace paths of `root`. */
export function wsOf(root: string): Workspace {
  return workspaceAt(root);
}

/** SHA-256 hex of a buffer. */
export function sha(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** One entry of a crafted archive. */
export interface CraftEntry {
  name: string;
  data?: Buffer | string;
  dir?: boolean;
  link?: string;
  /** Store uncompressed (default: deflate). */
  store?: boolean;
}

/**
 * Build a zip with yazl under placeholder names, then patch the real (possibly hostile) names in
 * byte for byte: yazl refuses to write `..`, absolute or drive-letter names itself. Names and
 * placeholders have the same length, so every offset in the archive stays right.
 */
export async function craftZip(path: string, entries: CraftEntry[], manifest?: Manifest | string): Promise<void> {
  const zip = new yazl.ZipFile();
  const patches: [string, string][] = [];
  entries.forEach((e, i) => {
    const tag = `p${String(i).padStart(3, '0')}`;
    let placeholder = e.name;
    if (/(^|\/)\.\.(\/|$)|^\/|^[A-Za-z]:|\\/.test(e.name) || entries.findIndex((x) => x.name === e.name) !== i) {
      const base = `${tag}${'x'.repeat(Math.max(0, e.name.length - tag.length))}`;
      placeholder = base.slice(0, e.name.length);
      if (placeholder.length < e.name.length || e.name.length < tag.length) throw new Error(`name too short to patch: ${e.name}`);
      patches.push([placeholder, e.name]);
    }
    if (e.dir) zip.addEmptyDirectory(placeholder);
    else if (e.link !== undefined) zip.addBuffer(Buffer.from(e.link), placeholder, { mode: 0o120777, compress: false });
    else zip.addBuffer(Buffer.from(e.data ?? ''), placeholder, { compress: !e.store });
  });
  if (manifest !== undefined) zip.addBuffer(Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest)), 'manifest.json');
  zip.end();
  const parts: Buffer[] = [];
  for await (const c of zip.outputStream) parts.push(c as Buffer);
  let buf = Buffer.concat(parts);
  for (const [from, to] of patches) {
    const a = Buffer.from(from);
    const b = Buffer.from(to);
    let at = buf.indexOf(a);
    let n = 0;
    while (at >= 0) {
      b.copy(buf, at);
      n++;
      at = buf.indexOf(a, at + 1);
    }
    if (n === 0) throw new Error(`placeholder ${from} not found`);
  }
  buf = Buffer.from(buf);
  writeFileSync(path, buf);
}

/** Write a valid .sha256 for `zipPath` (as the tool does), so that only deeper checks can refuse it. */
export function writeValidChecksum(root: string, zipPath: string): void {
  const rel = zipPath.slice(root.length + 1);
  writeFileSync(`${zipPath}.sha256`, `${sha(readFileSync(zipPath))}  ${rel}\n`);
}

/** A manifest for crafted entries (files get their real size and hash). */
export function manifestFor(env: string, entries: CraftEntry[], roots: string[]): Manifest {
  const out: Manifest['entries'] = [];
  let files = 0;
  let bytes = 0;
  for (const e of entries) {
    const path = e.name.replace(/\/$/, '');
    if (e.dir) out.push({ path, kind: 'dir' });
    else if (e.link !== undefined) out.push({ path, kind: 'symlink', target: e.link });
    else {
      const d = Buffer.from(e.data ?? '');
      out.push({ path, kind: 'file', size: d.length, sha256: sha(d) });
      files++;
      bytes += d.length;
    }
  }
  return {
    format: MANIFEST_FORMAT,
    env,
    version: '1.0.0',
    created_at: new Date().toISOString(),
    operator: 'crafter',
    tool_version: '0.1.0',
    target_kind: 'local',
    roots: roots.map((p) => ({ path: p, kind: 'dir' as const })),
    entries: out,
    totals: { files, dirs: out.filter((x) => x.kind === 'dir').length, symlinks: out.filter((x) => x.kind === 'symlink').length, bytes },
  };
}

/** One file of packedArchive(): the bytes the manifest records, and what the archive holds (CRC-32, size and body as given, however wrong). */
export interface PackedFile {
  name: string;
  data: Buffer;
  crc: number;
  size: number;
  body: Buffer;
  method: 0 | 8;
}

let packedSeq = 0;
/** A staging backup in root/backups of the release folder `base` and `files` (written as given, through the tool's own ZipWriter), its manifest and a valid .sha256; returns its path. */
export async function packedArchive(root: string, base: string, files: PackedFile[]): Promise<string> {
  const entries: CraftEntry[] = [{ name: `${base}/`, dir: true }];
  const chunks: Buffer[] = [];
  const w = new ZipWriter(async (c) => void chunks.push(Buffer.from(c)));
  await w.addDirectory(base, { mtime: 0, mode: 0o40755 });
  for (const f of files) {
    entries.push({ name: f.name, data: f.data });
    await w.addPacked(f.name, { mtime: 0, mode: 0o100644 }, { crc: f.crc, size: f.size, body: f.body, method: f.method });
  }
  await w.addBuffer(Buffer.from(JSON.stringify(manifestFor('staging', entries, [base]))), 'manifest.json', { mtime: 0, mode: 0o100644 });
  await w.end();
  const rel = `backups/dhash_staging_20261123_1${String(packedSeq++ % 100000).padStart(5, '0')}.zip`;
  put(root, rel, Buffer.concat(chunks));
  writeValidChecksum(root, `${root}/${rel}`);
  return `${root}/${rel}`;
}

/** Await `p`, which must be refused: a RefusedError, exit code 3, one line; returns it. */
export async function refused(p: Promise<unknown>): Promise<RefusedError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a refusal').toBeInstanceOf(RefusedError);
  expect((e as RefusedError).exitCode).toBe(ExitCode.refused);
  expect((e as Error).message.split('\n')).toHaveLength(1);
  return e as RefusedError;
}
