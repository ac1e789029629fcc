// `rollout verify`: the archive against its .sha256 (hashed in a worker thread, in parallel), the
// zip structure, every entry's name, size, CRC-32 and SHA-256 against the manifest, and limits
// against zip bombs. Anything wrong is refused (exit 3) with one sentence. The same scan, with a
// sink, is what a restore extracts through, so nothing is written that was not checked.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { Workspace } from '../config/workspace.js';
import { RefusedError, RolloutError, UsageError } from '../domain/errors.js';
import { readChecksumFile, sha256FileInWorker } from './checksum.js';
import { DEFAULT_LIMITS, type ArchiveLimits } from './limits.js';
import { MANIFEST_NAME, Manifest, resolveLinkTarget, unsafePathReason, type ManifestEntry } from './manifest.js';
import { listBackups, parseBackupName, wsRelative } from './names.js';
import { join, basename } from 'node:path';

/** Progress of a verify or restore. */
export interface ScanProgress {
  bytesDone: number;
  bytesTotal: number;
  entriesDone: number;
  entriesTotal: number;
}

/** What a verified backup holds. */
export interface VerifyResult {
  ok: true;
  path: string;
  file: string;
  sha256: string;
  archiveBytes: number;
  manifest: Omit<Manifest, 'entries'>;
  entries: number;
  durationMs: number;
}

/** Where a restore puts each checked entry. */
export interface ScanSink {
  /** A writable for a file's data (it gets exactly the checked bytes), or undefined to discard. */
  file(entry: Extract<ManifestEntry, { kind: 'file' }>): Promise<Writable | undefined>;
  /** Called for every folder and link after all files were written and checked. */
  finish(manifest: Manifest): Promise<void>;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MiB = 1024 * 1024;
// Below this many inflated bytes a high ratio is harmless (a small file of zeros); above it, it is a bomb's signature.
const RATIO_FLOOR = 64 * MiB;
const CONCURRENCY = 4;

interface ZipItem {
  name: string;
  dir: boolean;
  link: boolean;
  entry: yauzl.Entry;
}

function short(s: string): string {
  // Control characters in a hostile name must not reach the terminal.
  const clean = [...s].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false, strictFileNames: true }, (err, zf) => (err ? reject(err) : resolve(zf)));
  });
}

function readAllEntries(zf: yauzl.ZipFile, display: string, limits: ArchiveLimits): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    zf.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      if (out.length > limits.maxEntries) {
        reject(new RefusedError(`${display} holds more than ${limits.maxEntries} entries, the limit for a backup (a zip bomb?).`));
        return;
      }
      zf.readEntry();
    });
    zf.on('end', () => resolve(out));
    zf.on('error', (e: Error) => reject(e));
    zf.readEntry();
  });
}

function openStream(zf: yauzl.ZipFile, e: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zf.openReadStream(e, (err, s) => (err ? reject(err) : resolve(s))));
}

async function readSmall(zf: yauzl.ZipFile, e: yauzl.Entry): Promise<Buffer> {
  const s = await openStream(zf, e);
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function entryName(e: yauzl.Entry): string {
  // With decodeStrings off, yauzl leaves the raw bytes; decode them ourselves so that every name
  // problem is reported in our words, with strict names (no backslash conversion).
  const raw = (e.fileNameRaw ?? (e.fileName as unknown as Buffer)) as Buffer;
  try {
    return yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, raw, e.extraFields, true);
  } catch {
    return raw.toString('latin1');
  }
}

/** Check an archive's structure and every entry against its manifest, streaming; the sink gets the checked data. */
export async function scanArchive(path: string, display: string, opts: { limits?: ArchiveLimits; sink?: ScanSink; onProgress?: (p: ScanProgress) => void } = {}): Promise<Manifest> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let zf: yauzl.ZipFile;
  try {
    zf = await openZip(path);
  } catch (e) {
    throw new RefusedError(`${display} is truncated or not a zip archive (${short((e as Error).message)}).`);
  }
  try {
    return await scanOpen(zf, path, display, limits, opts);
  } catch (e) {
    if (e instanceof RolloutError) throw e;
    throw new RefusedError(`${display} is damaged: ${short((e as Error).message).replace(/\.$/, '')}.`);
  } finally {
    zf.close();
  }
}

async function scanOpen(zf: yauzl.ZipFile, path: string, display: string, limits: ArchiveLimits, opts: { sink?: ScanSink; onProgress?: (p: ScanProgress) => void }): Promise<Manifest> {
  if (zf.entryCount > limits.maxEntries) throw new RefusedError(`${display} holds ${zf.entryCount} entries, above the limit of ${limits.maxEntries} (a zip bomb?).`);
  const raw = await readAllEntries(zf, display, limits);
  const items = new Map<string, ZipItem>();
  let totalBytes = 0;
  let manifestEntry: yauzl.Entry | undefined;
  for (const e of raw) {
    const name = entryName(e);
    const dir = name.endsWith('/');
    const clean = dir ? name.slice(0, -1) : name;
    const why = unsafePathReason(clean);
    if (why) throw new RefusedError(`${display} holds an entry with ${why} ("${short(name)}"); refusing it.`);
    if (items.has(clean) || (clean === MANIFEST_NAME && manifestEntry)) throw new RefusedError(`${display} holds the name "${short(clean)}" more than once; refusing it.`);
    if (e.isEncrypted()) throw new RefusedError(`${display} holds an encrypted entry ("${short(clean)}"); backups are never encrypted, refusing it.`);
    if (e.compressionMethod !== 0 && e.compressionMethod !== 8) throw new RefusedError(`${display} holds an entry with unknown compression method ${e.compressionMethod} ("${short(clean)}").`);
    if (e.uncompressedSize > limits.maxEntryBytes) throw new RefusedError(`${display} holds "${short(clean)}" of ${e.uncompressedSize} bytes, above the per-entry limit of ${limits.maxEntryBytes} (a zip bomb?).`);
    totalBytes += e.uncompressedSize;
    if (totalBytes > limits.maxTotalBytes) throw new RefusedError(`${display} would inflate to more than ${limits.maxTotalBytes} bytes, the limit for a backup (a zip bomb?).`);
    if (e.uncompressedSize > RATIO_FLOOR && e.uncompressedSize / Math.max(1, e.compressedSize) > limits.maxRatio) {
      throw new RefusedError(`${display} holds "${short(clean)}" compressed ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1, above the limit of ${limits.maxRatio}:1 (a zip bomb?).`);
    }
    if (clean === MANIFEST_NAME && !dir) {
      manifestEntry = e;
      continue;
    }
    const unixMode = (e.versionMadeBy >> 8) === 3 ? (e.externalFileAttributes >>> 16) & S_IFMT : 0;
    items.set(clean, { name: clean, dir, link: unixMode === S_IFLNK, entry: e });
  }
  // Entries whose data overlap (one compressed stream counted many times) are the trick of the
  // non-recursive zip bombs; a real archive never shares data between entries.
  const byOffset = [...raw].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader);
  for (let k = 1; k < byOffset.length; k++) {
    const a = byOffset[k - 1]!;
    if (a.relativeOffsetOfLocalHeader + 30 + a.fileNameLength + a.compressedSize > byOffset[k]!.relativeOffsetOfLocalHeader) {
      throw new RefusedError(`${display} holds entries whose data overlap ("${short(entryName(a))}"), the mark of a zip bomb; refusing it.`);
    }
  }
  const archiveBytes = statSync(path).size;
  if (totalBytes > RATIO_FLOOR && totalBytes / Math.max(1, archiveBytes) > limits.maxRatio) {
    throw new RefusedError(`${display} would inflate ${Math.round(totalBytes / archiveBytes)}:1, above the limit of ${limits.maxRatio}:1 (a zip bomb?).`);
  }
  if (!manifestEntry) throw new RefusedError(`${display} has no ${MANIFEST_NAME}, so its content cannot be checked; refusing it.`);
  if (manifestEntry.uncompressedSize > limits.maxManifestBytes) throw new RefusedError(`${display}: ${MANIFEST_NAME} is ${manifestEntry.uncompressedSize} bytes, above the limit of ${limits.maxManifestBytes}.`);
  const manifestText = (await readSmall(zf, manifestEntry)).toString('utf8');
  let manifest: Manifest;
  try {
    const parsed = Manifest.safeParse(JSON.parse(manifestText));
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new Error(`${i.path.join('.') || '(top)'}: ${i.message}`);
    }
    manifest = parsed.data;
  } catch (e) {
    throw new RefusedError(`${display}: ${MANIFEST_NAME} is malformed (${short((e as Error).message)}).`);
  }

  // The manifest and the archive must list exactly the same things, safely.
  const byPath = new Map<string, ManifestEntry>();
  const links = new Set<string>();
  for (const m of manifest.entries) {
    const why = unsafePathReason(m.path);
    if (why) throw new RefusedError(`${display}: ${MANIFEST_NAME} lists a path with ${why} ("${short(m.path)}"); refusing it.`);
    if (byPath.has(m.path)) throw new RefusedError(`${display}: ${MANIFEST_NAME} lists "${short(m.path)}" more than once; refusing it.`);
    byPath.set(m.path, m);
    if (m.kind === 'symlink') {
      const r = resolveLinkTarget(m.path, m.target);
      if ('reason' in r) throw new RefusedError(`${display} holds the link "${short(m.path)}" that ${r.reason}; refusing it.`);
      links.add(m.path);
    }
  }
  for (const r of manifest.roots) {
    const why = unsafePathReason(r.path);
    if (why) throw new RefusedError(`${display}: ${MANIFEST_NAME} names a root with ${why} ("${short(r.path)}"); refusing it.`);
  }
  const roots = manifest.roots.filter((r) => r.kind !== 'absent').map((r) => r.path);
  for (const it of items.values()) {
    const m = byPath.get(it.name);
    if (!m) throw new RefusedError(`${display} holds "${short(it.name)}", which ${MANIFEST_NAME} does not list; refusing it.`);
    const kind = it.dir ? 'dir' : it.link ? 'symlink' : 'file';
    if (m.kind !== kind) throw new RefusedError(`${display} holds "${short(it.name)}" as a ${kind} but ${MANIFEST_NAME} lists a ${m.kind}; refusing it.`);
    if (!roots.some((r) => it.name === r || it.name.startsWith(`${r}/`))) throw new RefusedError(`${display} holds "${short(it.name)}" outside the paths it backs up; refusing it.`);
    // Nothing may be written through a link: an entry below a link could land anywhere.
    const segs = it.name.split('/');
    for (let k = 1; k < segs.length; k++) {
      const parent = segs.slice(0, k).join('/');
      if (links.has(parent)) throw new RefusedError(`${display} holds "${short(it.name)}" below the link "${short(parent)}"; refusing it.`);
    }
    if (m.kind === 'file' && m.size !== it.entry.uncompressedSize) throw new RefusedError(`${display} holds "${short(it.name)}" of ${it.entry.uncompressedSize} bytes but ${MANIFEST_NAME} says ${m.size}; refusing it.`);
  }
  for (const m of manifest.entries) if (!items.has(m.path)) throw new RefusedError(`${display} lacks "${short(m.path)}", which ${MANIFEST_NAME} lists (missing entry); refusing it.`);

  // Now stream every file: size (yauzl), CRC-32 and SHA-256.
  const files = [...items.values()].filter((i) => !i.dir);
  const bytesTotal = files.reduce((a, i) => a + i.entry.uncompressedSize, 0);
  let bytesDone = 0;
  let entriesDone = 0;
  let lastEmit = 0;
  const emit = (force: boolean): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastEmit < 100) return;
    lastEmit = now;
    opts.onProgress({ bytesDone, bytesTotal, entriesDone, entriesTotal: files.length });
  };
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < files.length && failed === undefined) {
      const it = files[next++]!;
      const m = byPath.get(it.name)!;
      try {
        if (m.kind === 'symlink') {
          if (it.entry.uncompressedSize > 4096) throw new RefusedError(`${display} holds the link "${short(it.name)}" with a target of ${it.entry.uncompressedSize} bytes; refusing it.`);
          const target = (await readSmall(zf, it.entry)).toString('utf8');
          if (crc32(Buffer.from(target)) !== it.entry.crc32) throw new RefusedError(`${display}: the CRC-32 of the link "${short(it.name)}" does not match; the archive is damaged.`);
          if (target !== m.target) throw new RefusedError(`${display} holds the link "${short(it.name)}" pointing to "${short(target)}" but ${MANIFEST_NAME} says "${short(m.target)}"; refusing it.`);
        } else if (m.kind === 'file') {
          await checkFile(zf, it, m, display, opts.sink, (n) => {
            bytesDone += n;
            emit(false);
          });
        }
        entriesDone++;
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, files.length)) }, () => worker()));
  if (failed !== undefined) throw failed;
  emit(true);
  if (opts.sink) await opts.sink.finish(manifest);
  return manifest;
}

async function checkFile(zf: yauzl.ZipFile, it: ZipItem, m: Extract<ManifestEntry, { kind: 'file' }>, display: string, sink: ScanSink | undefined, onBytes: (n: number) => void): Promise<void> {
  let rs: Readable;
  try {
    rs = await openStream(zf, it.entry);
  } catch (e) {
    throw new RefusedError(`${display}: "${short(it.name)}" cannot be read (${short((e as Error).message)}); the archive is damaged.`);
  }
  const h = createHash('sha256');
  let crc = 0;
  let n = 0;
  const tap = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _e, cb: TransformCallback) {
      h.update(chunk);
      crc = crc32(chunk, crc);
      n += chunk.length;
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  const out = (await sink?.file(m)) ?? new Writable({ write: (_c, _e, cb) => cb() });
  try {
    await pipeline(rs, tap, out);
  } catch (e) {
    throw new RefusedError(`${display}: "${short(it.name)}" is damaged (${short((e as Error).message).replace(/\.$/, '')}).`);
  }
  if (n !== m.size) throw new RefusedError(`${display}: "${short(it.name)}" has ${n} bytes but ${MANIFEST_NAME} says ${m.size}; the archive is damaged.`);
  if (crc >>> 0 !== it.entry.crc32 >>> 0) throw new RefusedError(`${display}: the CRC-32 of "${short(it.name)}" does not match; the archive is damaged.`);
  if (h.digest('hex') !== m.sha256) throw new RefusedError(`${display}: the SHA-256 of "${short(it.name)}" does not match ${MANIFEST_NAME}; the archive is damaged.`);
}

/** Verify one backup: .sha256, structure, every entry. Refuses (exit 3) with one sentence. */
export async function verifyBackup(path: string, opts: { ws: Workspace; limits?: ArchiveLimits; onProgress?: (p: ScanProgress) => void; expectEnv?: string }): Promise<VerifyResult> {
  const started = Date.now();
  const display = wsRelative(opts.ws, path);
  if (!existsSync(path)) throw new UsageError(`${display}: backup not found.`);
  if (!statSync(path).isFile()) throw new UsageError(`${display} is not a file.`);
  const cs = readChecksumFile(path, display);
  const hashing = sha256FileInWorker(path);
  hashing.catch(() => undefined);
  let manifest: Manifest | undefined;
  let scanError: unknown;
  try {
    manifest = await scanArchive(path, display, { ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  } catch (e) {
    scanError = e;
  }
  let actual: string;
  try {
    actual = (await hashing).hash;
  } catch (e) {
    throw new RefusedError(`${display} cannot be read to check its SHA-256 (${short((e as Error).message)}).`);
  }
  if (actual !== cs.hash) {
    const also = scanError instanceof Error ? `; the archive is also ${/truncated/.test(scanError.message) ? 'truncated or unreadable' : 'damaged'}` : '';
    throw new RefusedError(`${display} does not match its .sha256 (expected ${cs.hash.slice(0, 12)}…, found ${actual.slice(0, 12)}…)${also}; it is corrupt or was changed.`, [
      'Use another backup (rollout verify BACKUP), or take a fresh one.',
    ]);
  }
  if (scanError !== undefined) throw scanError;
  const m = manifest!;
  const fromName = parseBackupName(basename(path));
  if (fromName && fromName.env !== m.env) throw new RefusedError(`${display} is named for ${fromName.env} but its manifest says it is a backup of ${m.env}; refusing it.`);
  if (opts.expectEnv && m.env !== opts.expectEnv) throw new RefusedError(`${display} is a backup of ${m.env}, not of ${opts.expectEnv}; refusing it.`);
  const { entries, ...rest } = m;
  return { ok: true, path, file: display, sha256: actual, archiveBytes: statSync(path).size, manifest: rest, entries: entries.length, durationMs: Date.now() - started };
}

/** The newest backup of `env` by name (as `ls | sort -r | head -n1`), or a usage error. */
export function latestBackupOrFail(ws: Workspace, env: string): string {
  const n = listBackups(ws.backupsDir, env)[0];
  if (!n) throw new UsageError(`No backups of ${env} in ${wsRelative(ws, ws.backupsDir)}/ (take one: rollout backup --env ${env}).`);
  return join(ws.backupsDir, n);
}

/** The newest backup of `env` that verifies; refusals of newer ones are returned for the log. */
export async function newestVerifiedBackup(ws: Workspace, env: string, limits?: ArchiveLimits): Promise<{ result: VerifyResult; skipped: { file: string; reason: string }[] }> {
  const skipped: { file: string; reason: string }[] = [];
  for (const n of listBackups(ws.backupsDir, env)) {
    const p = join(ws.backupsDir, n);
    try {
      return { result: await verifyBackup(p, { ws, expectEnv: env, ...(limits ? { limits } : {}) }), skipped };
    } catch (e) {
      if (!(e instanceof RefusedError)) throw e;
      skipped.push({ file: wsRelative(ws, p), reason: e.message });
    }
  }
  if (skipped.length === 0) throw new UsageError(`No backups of ${env} in ${wsRelative(ws, ws.backupsDir)}/ (take one: rollout backup --env ${env}).`);
  throw new RefusedError(`None of the ${skipped.length} backups of ${env} verifies (newest: ${skipped[0]!.reason.replace(/\.$/, '')}).`);
}
