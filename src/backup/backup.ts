// `rollout backup`: a streaming zip of the environment's deployed state with a manifest inside
// (every file's path, size and SHA-256), then the `.sha256` companion in sha256sum format. The
// zip is written to a temp file and renamed into place; the .sha256 comes last, so a backup that
// has a .sha256 is complete. Memory stays flat: large files are streamed, small ones read one at a time.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readSync, renameSync, rmSync, existsSync, write } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
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
import { planBackup, type BackupPlan, type DeployedState, type PlanItem } from './state.js';
import { ZipWriter } from './zip.js';

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
  /** The environment's target (the use case passes makeTarget(ctx)). */
  target: DeployedState;
}

// Extensions whose content is already compressed: stored as is, deflating them only costs time.
const COMPRESSED_EXT = /\.(gz|tgz|zip|jar|war|whl|br|zst|xz|bz2|lz4|7z|rar|png|jpe?g|gif|webp|avif|woff2?|mp[34]|m4a|ogg|webm|mov|pdf)$/i;
const SMALL = 256 * 1024;
const writeAsync = promisify(write);

/** Create a backup of the environment (or, with dryRun, only list what it would take). */
export async function createBackup(ctx: EngineContext, opts: BackupOptions): Promise<BackupResult> {
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
  let fdOpen = true;
  try {
    // Opened here, synchronously, so that a read-only or full backups/ is one sentence before any work.
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw ioFailure(e, `write a backup of ${ctx.env} into ${backupsRel}`, ctx.ws.backupsDir) ?? e;
  }

  let archiveBytes = 0;
  const archiveHash = createHash('sha256');
  // The archive goes to the temp file in 1 MiB chunks, hashed on the way (one pass, no re-read).
  const zip = new ZipWriter(async (chunk) => {
    archiveHash.update(chunk);
    archiveBytes += chunk.length;
    for (let off = 0; off < chunk.length; ) off += (await writeAsync(fd, chunk, off, chunk.length - off)).bytesWritten;
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

  const c = counts(plan.items);
  // Each plan item is let go once archived: with 200k files, the plan and the manifest entries
  // are the bulk of the memory, and they need not be held both at once.
  const items: (PlanItem | undefined)[] = plan.items;
  plan.items = [];
  const bigBuf = Buffer.allocUnsafe(512 * 1024);
  // Small files are read into one reused buffer (the writer copies what it keeps).
  let readBuf = Buffer.allocUnsafe(SMALL + 1);
  const readSmall = (abs: string): Buffer => {
    const f = openSync(abs, 'r');
    try {
      let n = 0;
      for (;;) {
        if (n === readBuf.length) {
          const bigger = Buffer.allocUnsafe(readBuf.length * 2);
          readBuf.copy(bigger);
          readBuf = bigger;
        }
        const got = readSync(f, readBuf, n, readBuf.length - n, null);
        if (got === 0) break;
        n += got;
      }
      return readBuf.subarray(0, n);
    } finally {
      closeSync(f);
    }
  };
  const addAll = async (): Promise<void> => {
    let lastYield = Date.now();
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      items[i] = undefined;
      const mtime = it.mtime;
      // Small files are read and deflated synchronously (a thread-pool round trip per file cost
      // more than the work); let the event loop run now and then, so a TUI stays live.
      if (Date.now() - lastYield > 25) {
        await new Promise<void>((r) => setImmediate(r));
        lastYield = Date.now();
      }
      if (it.kind === 'dir') {
        await zip.addDirectory(it.path, { mtime, mode: 0o040000 | it.mode });
        entries.push({ path: it.path, kind: 'dir', mode: it.mode });
        continue;
      }
      if (it.kind === 'symlink') {
        await zip.addBuffer(Buffer.from(it.target), it.path, { mtime, mode: 0o120777, compress: false });
        entries.push({ path: it.path, kind: 'symlink', target: it.target });
        continue;
      }
      if (it.size <= SMALL) {
        const buf = readSmall(it.abs);
        entries.push({ path: it.path, kind: 'file', size: buf.length, sha256: createHash('sha256').update(buf).digest('hex'), mode: it.mode });
        await zip.addBuffer(buf, it.path, { mtime, mode: 0o100000 | it.mode, compress: buf.length >= 64 && !COMPRESSED_EXT.test(it.path) });
        bytesDone += buf.length;
        filesDone++;
        emit(false, it.path);
        continue;
      }
      const h = createHash('sha256');
      const fh = await open(it.abs, 'r');
      // One reused 512 KiB buffer: the writer copies what it keeps and waits for zlib to take a
      // chunk before asking for the next (fresh 1 MiB stream chunks were garbage, i.e. RSS).
      const hashed = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          const { bytesRead } = await fh.read(bigBuf, 0, bigBuf.length, null);
          if (bytesRead === 0) return;
          const chunk = bigBuf.subarray(0, bytesRead);
          h.update(chunk);
          bytesDone += bytesRead;
          emit(false, it.path);
          yield chunk;
        }
      };
      try {
        const { size } = await zip.addStream(it.path, { mtime, mode: 0o100000 | it.mode, compress: worthCompressing(it), sizeHint: it.size }, hashed());
        entries.push({ path: it.path, kind: 'file', size, sha256: h.digest('hex'), mode: it.mode });
      } finally {
        await fh.close();
      }
      filesDone++;
    }
  };

  // The manifest is the last entry, written once every file before it was hashed. It is streamed
  // in slices, so that a manifest of 200k files never sits in memory as one string.
  const created_at = new Date(ctx.clock.now()).toISOString();
  const addManifest = async (): Promise<void> => {
    const head: Omit<Manifest, 'entries' | 'totals'> = {
      format: MANIFEST_FORMAT,
      env: ctx.env,
      version: plan.version,
      created_at,
      operator: ctx.operator,
      tool_version: toolVersion(),
      target_kind: ctx.target.target.kind,
      roots: plan.roots,
    };
    await zip.addStream(MANIFEST_NAME, { mtime: new Date(ctx.clock.now()), mode: 0o100644, sizeHint: 0 }, manifestSlices(head, entries, { ...c, bytes: bytesDone }));
  };
  let addError: unknown;
  try {
    await addAll();
    await addManifest();
    await zip.end();
  } catch (e) {
    addError = e;
  }

  try {
    if (addError !== undefined) throw addError;
    fsyncSync(fd);
    closeSync(fd);
    fdOpen = false;
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
      if (fdOpen) closeSync(fd);
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

/** manifest.json in slices of a few thousand entries: the same JSON as one JSON.stringify, never one string. */
function* manifestSlices(head: Omit<Manifest, 'entries' | 'totals'>, entries: ManifestEntry[], totals: Manifest['totals']): Generator<Buffer> {
  const open = JSON.stringify({ ...head, entries: [] });
  yield Buffer.from(`${open.slice(0, -3)}[`);
  for (let i = 0; i < entries.length; i += 4096) {
    const part = entries.slice(i, i + 4096).map((e) => JSON.stringify(e)).join(',');
    yield Buffer.from(i === 0 ? part : `,${part}`);
  }
  yield Buffer.from(`],"totals":${JSON.stringify(totals)}}\n`);
}
