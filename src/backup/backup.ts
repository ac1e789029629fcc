// `rollout backup`: a streaming zip of the environment's deployed state with a manifest inside
// (every file's path, size and SHA-256), then the `.sha256` companion in sha256sum format. The
// zip is written to a temp file and renamed into place; the .sha256 comes last, so a backup that
// has a .sha256 is complete. Memory stays flat: files are streamed, small ones read a few ahead.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { closeSync, createReadStream, createWriteStream, fsyncSync, linkSync, openSync, readSync, renameSync, rmSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';
import { AuditLog } from '../audit/logger.js';
import { toolVersion } from '../config/workspace.js';
import { RefusedError, StepFailedError } from '../domain/errors.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { ioFailure, mkdirReal } from '../domain/io-errors.js';
import type { EngineContext } from '../config/engine-context.js';
import { checksumLine } from './checksum.js';
import { interruptedRollback } from './journal.js';
import { testPause } from '../domain/test-pause.js';
import { withEnvLockReentrant } from './lock.js';
import { MANIFEST_FORMAT, MANIFEST_NAME, type Manifest, type ManifestEntry } from './manifest.js';
import { freeBackupName, wsRelative } from './names.js';
import type { Target } from '../targets/contract.js';
import { planBackup, type BackupPlan, type PlanItem } from './state.js';

// yazl computes CRC-32 with buffer-crc32 in JavaScript (about 330 MB/s here); Node 20 has a native
// zlib.crc32 (about 2.3 GB/s). Same function, same results: point yazl's at the native one.
// It must be the very instance yazl require()s (the package ships separate ESM and CommonJS
// copies): a plain require() call is bundled by esbuild to that copy; unbundled (tests, tsx),
// createRequire finds it in node_modules.
function yazlCrc32Module(): { unsigned: (buf: Buffer, previous?: number) => number } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS copy yazl uses, see above
    return require('buffer-crc32') as { unsigned: (buf: Buffer, previous?: number) => number };
  } catch {
    return createRequire(import.meta.url)('buffer-crc32') as { unsigned: (buf: Buffer, previous?: number) => number };
  }
}
yazlCrc32Module().unsigned = (buf, previous) => zlibCrc32(buf, previous ?? 0);

/** Progress of a running backup (for the TUI's progress bar). */
export interface BackupProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Bytes per second since the start. */
  rate: number;
  elapsedMs: number;
  file?: string;
}

/** What a backup (or its dry run) did. */
export interface BackupResult {
  dryRun: boolean;
  env: string;
  version: string | null;
  /** Absolute path of the zip (the planned name on a dry run). */
  path: string;
  /** Workspace-relative path of the zip. */
  file: string;
  /** Workspace-relative path of the .sha256 (not written on a dry run). */
  checksumFile: string;
  sha256?: string;
  archiveBytes?: number;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  durationMs: number;
  /** The planned items (dry run), workspace-relative. */
  plan?: { path: string; kind: string; size?: number; target?: string }[];
  /** Workspace-relative path of backup-dryrun.log (dry run only). */
  dryRunLog?: string;
  logFile?: string;
}

/** Options of createBackup. */
export interface BackupOptions {
  dryRun?: boolean;
  onProgress?: (p: BackupProgress) => void;
  log?: AuditLog;
  /** The command line for the lock's holder record. */
  command?: string;
  /** The environment's target (default: makeTarget(ctx)). */
  target?: Target;
}

// Extensions whose content is already compressed: stored as is, deflating them only costs time.
const COMPRESSED_EXT = /\.(gz|tgz|zip|jar|war|whl|br|zst|xz|bz2|lz4|7z|rar|png|jpe?g|gif|webp|avif|woff2?|mp[34]|m4a|ogg|webm|mov|pdf)$/i;
const SMALL = 256 * 1024;
const PREFETCH = 16;
// Most bytes of small files read and handed to the archiver but not yet written out.
const MAX_BUFFERED = 32 * 1024 * 1024;

/** Create a backup of the environment (or, with dryRun, only list what it would take). */
export async function createBackup(ctx: EngineContext, opts: BackupOptions = {}): Promise<BackupResult> {
  const started = ctx.clock.now();
  const pending = interruptedRollback(ctx.ws, ctx.env);
  if (pending?.phase === 'swapping') {
    throw new RefusedError(`A rollback of ${ctx.env} was interrupted while swapping files in, so its state is mixed; run "rollout rollback --env ${ctx.env}" to finish it before taking a backup.`);
  }
  const plan = await planBackup(ctx, opts.target);
  if (opts.dryRun) return dryRun(ctx, plan, started);
  const ownLog = !opts.log;
  const log = opts.log ?? AuditLog.open(ctx.ws.logsDir, 'backup', ctx.env, { now: () => ctx.clock.now() });
  try {
    return await withEnvLockReentrant(ctx.ws, ctx.env, { operator: ctx.operator, command: opts.command ?? `rollout backup --env ${ctx.env}` }, async () => {
      await testPause('backup-locked');
      return writeBackup(ctx, plan, log, opts, started);
    });
  } catch (e) {
    log.error('backup.failed', { error: e instanceof Error ? e.message : String(e) });
    throw e;
  } finally {
    if (ownLog) log.close();
  }
}

function dryRun(ctx: EngineContext, plan: BackupPlan, started: number): BackupResult {
  const name = freeBackupName(ctx.ws.backupsDir, ctx.env, ctx.clock.now());
  const file = `backups/${name}`;
  const lines = [
    `rollout backup --env ${ctx.env} --dry-run`,
    `at ${new Date(ctx.clock.now()).toISOString()} by ${ctx.operator}; deployed version ${plan.version ?? 'unknown'}`,
    `would write ${file} and ${file}.sha256 with ${plan.files} files, ${plan.bytes} bytes:`,
  ];
  for (const r of plan.roots) if (r.kind === 'absent') lines.push(`  absent   ${r.path} (does not exist; a restore removes it)`);
  for (const it of plan.items) lines.push(`  ${describe(it)}`);
  for (const s of plan.skipped) lines.push(`  skipped  ${s}`);
  lines.push('nothing was written (dry run)');
  const dryRunLog = join(ctx.ws.root, 'backup-dryrun.log');
  writeFileAtomic(dryRunLog, `${lines.join('\n')}\n`);
  const c = counts(plan.items);
  return {
    dryRun: true,
    env: ctx.env,
    version: plan.version,
    path: join(ctx.ws.backupsDir, name),
    file,
    checksumFile: `${file}.sha256`,
    ...c,
    bytes: plan.bytes,
    durationMs: ctx.clock.now() - started,
    plan: plan.items.map((it) => ({ path: it.path, kind: it.kind, ...(it.kind === 'file' ? { size: it.size } : {}), ...(it.kind === 'symlink' ? { target: it.target } : {}) })),
    dryRunLog: 'backup-dryrun.log',
  };
}

function describe(it: PlanItem): string {
  if (it.kind === 'file') return `${String(it.size).padStart(12)}  ${it.path}`;
  if (it.kind === 'dir') return `${'folder'.padStart(12)}  ${it.path}/`;
  return `${'link'.padStart(12)}  ${it.path} -> ${it.target}`;
}

function counts(items: PlanItem[]): { files: number; dirs: number; symlinks: number } {
  let files = 0;
  let dirs = 0;
  let symlinks = 0;
  for (const it of items) {
    if (it.kind === 'file') files++;
    else if (it.kind === 'dir') dirs++;
    else symlinks++;
  }
  return { files, dirs, symlinks };
}

/** Decide whether deflating a file is worth it: by extension, else by deflating a 64 KiB sample. */
function worthCompressing(it: Extract<PlanItem, { kind: 'file' }>): boolean {
  if (it.size < 64) return false;
  if (COMPRESSED_EXT.test(it.path)) return false;
  if (it.size <= SMALL) return true;
  const fd = openSync(it.abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const sample = buf.subarray(0, n);
    const packed = deflateRawSync(sample, { level: 1 }).length;
    // A huge file of (nearly) nothing would deflate past verify's bomb ratio: store it instead, so
    // that our own backups always pass our own limits.
    if (it.size > 64 * 1024 * 1024 && packed * 200 < n) return false;
    return packed < n * 0.9;
  } finally {
    closeSync(fd);
  }
}

async function writeBackup(ctx: EngineContext, plan: BackupPlan, log: AuditLog, opts: BackupOptions, started: number): Promise<BackupResult> {
  const backupsRel = `${wsRelative(ctx.ws, ctx.ws.backupsDir)}/`;
  let name: string;
  try {
    mkdirReal(ctx.ws.backupsDir);
    name = freeBackupName(ctx.ws.backupsDir, ctx.env, ctx.clock.now());
  } catch (e) {
    throw ioFailure(e, `write a backup of ${ctx.env} into ${backupsRel}`, ctx.ws.backupsDir) ?? e;
  }
  const finalPath = join(ctx.ws.backupsDir, name);
  const file = wsRelative(ctx.ws, finalPath);
  const tmp = join(ctx.ws.backupsDir, `.${name}.${process.pid}.tmp`);
  log.info('backup.start', { file, version: plan.version, files: plan.files, bytes: plan.bytes, roots: plan.roots });
  let fd: number;
  try {
    // Opened here, synchronously, so that a read-only or full backups/ is one sentence before any work.
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw ioFailure(e, `write a backup of ${ctx.env} into ${backupsRel}`, ctx.ws.backupsDir) ?? e;
  }

  const zip = new yazl.ZipFile();
  const archiveHash = createHash('sha256');
  let archiveBytes = 0;
  let onOutput: (() => void) | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      archiveHash.update(chunk);
      archiveBytes += chunk.length;
      const wake = onOutput;
      onOutput = undefined;
      wake?.();
      cb(null, chunk);
    },
  });
  const out = createWriteStream(tmp, { fd });
  const written = pipeline(zip.outputStream, tap, out);
  // Awaited below; a write failure (ENOSPC) before then must not surface as an unhandled rejection.
  written.catch(() => undefined);
  // A failing source aborts the archive; the temp file is removed below.
  let zipError: Error | undefined;
  zip.on('error', (e: Error) => {
    zipError = e;
    (zip.outputStream as Readable).destroy(e);
  });

  const entries: ManifestEntry[] = [];
  const total = plan.bytes;
  let bytesDone = 0;
  let filesDone = 0;
  let lastEmit = 0;
  const emit = (force: boolean, fileName?: string): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastEmit < 100) return;
    lastEmit = now;
    const elapsedMs = Math.max(1, ctx.clock.now() - started);
    opts.onProgress({ bytesDone, bytesTotal: total, filesDone, filesTotal: plan.files, rate: Math.round((bytesDone / elapsedMs) * 1000), elapsedMs, ...(fileName ? { file: fileName } : {}) });
  };

  // yazl writes entries strictly in order, and an entry whose state reached 3 (FILE_DATA_DONE)
  // has left memory. Small files are added as buffers (yazl deflates them at once, in parallel on
  // the thread pool); this bounds how many bytes of them wait in memory. If a future yazl hides
  // its entry list, the bound is simply not applied.
  const internals = zip as unknown as { entries?: { state?: number }[] };
  let doneScan = 0;
  const entriesWritten = (): number => {
    const list = internals.entries;
    if (!Array.isArray(list)) return Number.MAX_SAFE_INTEGER;
    while (doneScan < list.length && (list[doneScan]?.state ?? 0) >= 3) doneScan++;
    return doneScan;
  };
  let added = 0;
  const waiting: { index: number; size: number }[] = [];
  let waitingBytes = 0;
  const room = async (): Promise<void> => {
    for (;;) {
      const d = entriesWritten();
      while (waiting.length > 0 && waiting[0]!.index < d) waitingBytes -= waiting.shift()!.size;
      if (waitingBytes <= MAX_BUFFERED || zipError) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        onOutput = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };

  const files = plan.items;
  // Small files are read a few ahead, so that the disk, zlib and the hashing overlap.
  const reads = new Map<number, Promise<Buffer>>();
  const readAhead = (from: number): void => {
    for (let j = from, n = 0; j < files.length && n < PREFETCH; j++) {
      const it = files[j]!;
      if (it.kind !== 'file' || it.size > SMALL) continue;
      n++;
      if (!reads.has(j)) {
        const p = readFile(it.abs);
        p.catch(() => undefined);
        reads.set(j, p);
      }
    }
  };
  const addAll = async (): Promise<void> => {
    for (let i = 0; i < files.length; i++) {
      if (zipError) throw zipError;
      const it = files[i]!;
      const mtime = it.mtime;
      if (it.kind === 'dir') {
        zip.addEmptyDirectory(it.path, { mtime, mode: 0o040000 | it.mode });
        entries.push({ path: it.path, kind: 'dir', mode: it.mode });
        added++;
        continue;
      }
      if (it.kind === 'symlink') {
        zip.addBuffer(Buffer.from(it.target), it.path, { mtime, mode: 0o120777, compress: false });
        entries.push({ path: it.path, kind: 'symlink', target: it.target });
        added++;
        continue;
      }
      if (it.size <= SMALL) {
        readAhead(i);
        const buf = await reads.get(i)!;
        reads.delete(i);
        entries.push({ path: it.path, kind: 'file', size: buf.length, sha256: createHash('sha256').update(buf).digest('hex'), mode: it.mode });
        const compress = buf.length >= 64 && !COMPRESSED_EXT.test(it.path);
        zip.addBuffer(buf, it.path, { mtime, mode: 0o100000 | it.mode, compress });
        waiting.push({ index: added, size: buf.length });
        waitingBytes += buf.length;
        added++;
        bytesDone += buf.length;
        filesDone++;
        emit(false, it.path);
        await room();
        continue;
      }
      const entry: ManifestEntry = { path: it.path, kind: 'file', size: 0, sha256: '', mode: it.mode };
      entries.push(entry);
      added++;
      zip.addReadStreamLazy(it.path, { mtime, mode: 0o100000 | it.mode, compress: worthCompressing(it), size: it.size }, (cb: (err: Error | null, s: Readable) => void) => {
        const h = createHash('sha256');
        let n = 0;
        const hashTap = new Transform({
          transform(chunk: Buffer, _e, done: TransformCallback) {
            h.update(chunk);
            n += chunk.length;
            bytesDone += chunk.length;
            emit(false, it.path);
            done(null, chunk);
          },
          flush(done: TransformCallback) {
            entry.size = n;
            entry.sha256 = h.digest('hex');
            filesDone++;
            done();
          },
        });
        const src = createReadStream(it.abs, { highWaterMark: 1 << 20 });
        src.on('error', (e) => hashTap.destroy(e));
        cb(null, src.pipe(hashTap));
      });
    }
  };

  // The manifest is the last entry: it is produced when the archiver reaches it, by which time
  // every file before it has been streamed and hashed.
  const created_at = new Date(ctx.clock.now()).toISOString();
  const addManifest = (): void => zip.addReadStreamLazy(MANIFEST_NAME, { mtime: new Date(ctx.clock.now()), mode: 0o100644 }, (cb: (err: Error | null, s: Readable) => void) => {
    const c = counts(plan.items);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      env: ctx.env,
      version: plan.version,
      created_at,
      operator: ctx.operator,
      tool_version: toolVersion(),
      target_kind: ctx.target.target.kind,
      roots: plan.roots,
      entries,
      totals: { ...c, bytes: bytesDone },
    };
    cb(null, Readable.from([Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`)]));
  });
  let addError: unknown;
  try {
    await addAll();
  } catch (e) {
    addError = e;
    (zip.outputStream as Readable).destroy(e as Error);
  }
  if (addError === undefined) addManifest();
  zip.end();

  try {
    if (addError !== undefined) {
      await written.catch(() => undefined);
      throw addError;
    }
    await written;
    if (zipError) throw zipError;
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // link() refuses to replace an existing file, so a backup is never overwritten.
    try {
      linkSync(tmp, finalPath);
      rmSync(tmp, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StepFailedError(`${file} appeared while this backup was written; not overwriting it.`);
      if (existsSync(finalPath)) throw e;
      renameSync(tmp, finalPath);
    }
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* the failure below is the one to report */
    }
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof StepFailedError) throw e;
    const io = ioFailure(e, `write the backup ${file} of ${ctx.env}`, ctx.ws.backupsDir);
    if (io) throw io;
    throw new StepFailedError(`Backup of ${ctx.env} failed while writing ${file}: ${msg.replace(/\.$/, '')}.`);
  }
  const sha256 = archiveHash.digest('hex');
  try {
    writeFileAtomic(`${finalPath}.sha256`, checksumLine(sha256, file));
  } catch (e) {
    // A zip without its .sha256 is an unfinished backup: remove it rather than leave it looking like one.
    rmSync(finalPath, { force: true });
    throw e;
  }
  emit(true);
  const c = counts(plan.items);
  const result: BackupResult = {
    dryRun: false,
    env: ctx.env,
    version: plan.version,
    path: finalPath,
    file,
    checksumFile: `${file}.sha256`,
    sha256,
    archiveBytes,
    ...c,
    bytes: bytesDone,
    durationMs: ctx.clock.now() - started,
    logFile: wsRelative(ctx.ws, log.path),
  };
  log.info('backup.done', { file, sha256, archive_bytes: archiveBytes, files: c.files, bytes: bytesDone, version: plan.version, duration_ms: result.durationMs });
  for (const s of plan.skipped) log.warn('backup.skipped', { detail: s });
  return result;
}
