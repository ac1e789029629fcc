// `rollout backup`: a streaming zip of the environment's deployed state with a manifest inside
// (every file's path, size and SHA-256), then the `.sha256` companion in sha256sum format. The
// zip is written to a temp file and renamed into place; the .sha256 comes last, so a backup that
// has a .sha256 is complete. Memory stays flat: large files are streamed, small ones read one at a time.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readSync, renameSync, rmSync, existsSync, write } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { availableParallelism } from 'node:os';
import { join, sep } from 'node:path';
import { once } from 'node:events';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
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
import { BATCH_BYTES, batchBuffer, Packer, type Batch, type Packed } from './pack.js';
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
  /** Pack small files on a worker thread too (default: useWorker()). */
  worker?: boolean;
}

// Extensions whose content is already compressed: stored as is, deflating them only costs time.
const COMPRESSED_EXT = /\.(gz|tgz|zip|jar|war|whl|br|zst|xz|bz2|lz4|7z|rar|png|jpe?g|gif|webp|avif|woff2?|mp[34]|m4a|ogg|webm|mov|pdf)$/i;
const SMALL = 256 * 1024;
// Below this many bytes of small files a worker thread costs more to start than it saves.
const WORKER_MIN_BYTES = 4 * 1024 * 1024;
// Files, and items of any kind, in one batch; batches packed but not yet written.
const MAX_SLOTS = 4096;
const MAX_RECS = 8192;
const MAX_QUEUED = 4;
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

/**
 * Whether to pack small files on a worker thread as well: ROLLOUT_BACKUP_WORKER=on|off decides;
 * by default, when there are megabytes of them and a second core. Even on a loaded machine it
 * finished sooner than without (10k and 50k files at load 10 on 2 cores, bench/RESULTS.md #15):
 * the packer packs here whenever the worker lags, so a busy core costs little but the thread's
 * start-up (~20 MiB of RSS).
 */
export function useWorker(smallBytes: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const set = env.ROLLOUT_BACKUP_WORKER;
  if (set === 'on') return true;
  if (set === 'off') return false;
  return smallBytes >= WORKER_MIN_BYTES && availableParallelism() > 1;
}

/** Decide whether deflating a file is worth it: by extension, else by deflating a 64 KiB sample. */
function worthCompressing(abs: string, it: Extract<PlanItem, { kind: 'file' }>): boolean {
  if (it.size < 64) return false;
  if (COMPRESSED_EXT.test(it.path)) return false;
  if (it.size <= SMALL) return true;
  const fd = openSync(abs, 'r');
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

  // manifest.json is deflated as its entries come (head first, totals last), so that only its
  // compressed bytes are held until it is written as the last entry: 200k entries were ~140 bytes
  // each of heap as objects, ~180 as JSON text, ~70 deflated.
  // Started in the try below (toolVersion() may throw), so that a failure removes the temp file.
  let manifest: DeflatedText | undefined;
  const created_at = new Date(ctx.clock.now()).toISOString();
  const startManifest = (): DeflatedText => {
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
    const m = new DeflatedText();
    m.write(`${JSON.stringify({ ...head, entries: [] }).slice(0, -3)}[`);
    return m;
  };
  let entryCount = 0;
  const addEntry = (e: ManifestEntry): void => {
    manifest!.write(entryCount++ === 0 ? JSON.stringify(e) : `,${JSON.stringify(e)}`);
  };
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
  const base = ctx.ws.root.endsWith(sep) ? ctx.ws.root : `${ctx.ws.root}${sep}`;
  const readFailure = (e: unknown, path: string): unknown => ioFailure(e, `read ${path} for the backup of ${ctx.env}`, base + path) ?? e;
  const bigBuf = Buffer.allocUnsafe(512 * 1024);

  // Small files go in batches of ~1 MiB: read here (one open, one read, one close each), then
  // CRC-32, SHA-256 and deflate in src/backup/pack.ts (on the worker thread while it keeps up),
  // then written here in plan order. Folders and links ride along in the same groups, so that the
  // order of the archive and of the manifest is the plan's.
  let smallBytes = 0;
  for (const it of items) if (it!.kind === 'file' && it!.size <= SMALL) smallBytes += it!.size;
  // Started in the try below too.
  let packer: Packer | undefined;
  const pool: Buffer[] = [];
  /** One item in a group: a folder or link (slot -1), a file in the batch (slot i), or a file that grew past its room (own). */
  interface Rec {
    it: PlanItem;
    slot: number;
    own?: Buffer;
  }
  interface Group {
    recs: Rec[];
    batch: Batch;
    used: number;
    packed?: Packed;
    pending?: Promise<void>;
  }
  const newGroup = (): Group => ({ recs: [], batch: { buf: pool.pop() ?? batchBuffer(), spans: new Uint32Array(3 * MAX_SLOTS), count: 0 }, used: 0 });
  let cur = newGroup();
  const queue: Group[] = [];
  const submit = (): void => {
    if (cur.recs.length === 0) return;
    const g = cur;
    cur = newGroup();
    queue.push(g);
    if (g.batch.count === 0) return;
    const r = packer!.pack(g.batch);
    if (r instanceof Promise) {
      g.pending = r.then((p) => {
        g.packed = p;
      });
      // Awaited in drain(); this only keeps a failure from counting as unhandled meanwhile.
      g.pending.catch(() => undefined);
    } else g.packed = r;
  };
  /** Read a small file into the current batch (or, when it grew past its room, into its own buffer). */
  const readSmall = (it: Extract<PlanItem, { kind: 'file' }>): Rec => {
    const abs = base + it.path;
    let fd: number;
    try {
      fd = openSync(abs, 'r');
    } catch (e) {
      throw readFailure(e, it.path);
    }
    try {
      const g = cur;
      const buf = g.batch.buf;
      // One read of one byte more than planned: a short read is the end of the file.
      const room = Math.min(BATCH_BYTES - g.used, it.size + 1);
      const n = readSync(fd, buf, g.used, room, 0);
      if (n < room) {
        const i = g.batch.count++;
        g.batch.spans[3 * i] = g.used;
        g.batch.spans[3 * i + 1] = n;
        g.batch.spans[3 * i + 2] = n >= 64 && !COMPRESSED_EXT.test(it.path) ? 1 : 0;
        g.used += n;
        return { it, slot: i };
      }
      // It grew since it was planned: read it all into its own buffer (packed on this thread).
      const parts = [Buffer.from(buf.subarray(g.used, g.used + n))];
      for (let pos = n; ; ) {
        const more = Buffer.allocUnsafe(Math.max(64 * 1024, pos));
        const got = readSync(fd, more, 0, more.length, pos);
        if (got === 0) break;
        parts.push(more.subarray(0, got));
        pos += got;
      }
      return { it, slot: -1, own: Buffer.concat(parts) };
    } catch (e) {
      throw readFailure(e, it.path);
    } finally {
      closeSync(fd);
    }
  };
  let pausedOnce = false;
  const writeGroup = async (g: Group): Promise<void> => {
    const p = g.packed;
    let outAt = 0;
    for (const { it, slot, own } of g.recs) {
      const mtime = it.mtime;
      if (it.kind === 'dir') {
        await zip.addDirectory(it.path, { mtime, mode: 0o040000 | it.mode });
        addEntry({ path: it.path, kind: 'dir', mode: it.mode });
      } else if (it.kind === 'symlink') {
        await zip.addBuffer(Buffer.from(it.target), it.path, { mtime, mode: 0o120777, compress: false });
        addEntry({ path: it.path, kind: 'symlink', target: it.target });
      } else if (own) {
        addEntry({ path: it.path, kind: 'file', size: own.length, sha256: createHash('sha256').update(own).digest('hex'), mode: it.mode });
        await zip.addBuffer(own, it.path, { mtime, mode: 0o100000 | it.mode, compress: own.length >= 64 && !COMPRESSED_EXT.test(it.path) });
        bytesDone += own.length;
        filesDone++;
        emit(false, it.path);
      } else {
        const spans = g.batch.spans;
        const start = spans[3 * slot]!;
        const size = spans[3 * slot + 1]!;
        const clen = p!.lens[slot]!;
        const body = clen >= 0 ? p!.out.subarray(outAt, outAt + clen) : p!.buf.subarray(start, start + size);
        if (clen >= 0) outAt += clen;
        const sha256 = Buffer.from(p!.sha.buffer, p!.sha.byteOffset + 32 * slot, 32).toString('hex');
        addEntry({ path: it.path, kind: 'file', size, sha256, mode: it.mode });
        await zip.addPacked(it.path, { mtime, mode: 0o100000 | it.mode }, { crc: p!.crc[slot]!, size, body, method: clen >= 0 ? 8 : 0 });
        bytesDone += size;
        filesDone++;
        emit(false, it.path);
      }
    }
    pool.push(p ? p.buf : g.batch.buf);
    if (!pausedOnce && filesDone > 0) {
      pausedOnce = true;
      await testPause('backup-writing');
    }
  };
  /** Write the groups whose packing is done, in order (all of them with `all`; the oldest when too many wait). */
  const drain = async (all: boolean): Promise<void> => {
    while (queue.length > 0) {
      const g = queue[0]!;
      const ready = g.packed !== undefined || g.batch.count === 0;
      if (!ready && !all && queue.length <= MAX_QUEUED) return;
      if (!ready) await g.pending;
      queue.shift();
      await writeGroup(g);
    }
  };
  // Let the event loop run between batches: worker results come in, and a TUI stays live.
  const tick = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

  const addAll = async (): Promise<void> => {
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      items[i] = undefined;
      if (it.kind !== 'file' || it.size <= SMALL) {
        const full = it.kind === 'file' && cur.used + it.size + 1 > BATCH_BYTES;
        if (full || cur.batch.count >= MAX_SLOTS || cur.recs.length >= MAX_RECS) {
          submit();
          await tick();
          await drain(false);
        }
        cur.recs.push(it.kind === 'file' ? readSmall(it) : { it, slot: -1 });
        continue;
      }
      // A large file: everything before it is written first, then it is streamed.
      submit();
      await drain(true);
      const abs = base + it.path;
      const h = createHash('sha256');
      const fh = await open(abs, 'r').catch((e: unknown) => {
        throw readFailure(e, it.path);
      });
      // One reused 512 KiB buffer: the writer copies what it keeps and waits for zlib to take a
      // chunk before asking for the next (fresh 1 MiB stream chunks were garbage, i.e. RSS).
      const hashed = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          const { bytesRead } = await fh.read(bigBuf, 0, bigBuf.length, null).catch((e: unknown) => {
            throw readFailure(e, it.path);
          });
          if (bytesRead === 0) return;
          const chunk = bigBuf.subarray(0, bytesRead);
          h.update(chunk);
          bytesDone += bytesRead;
          emit(false, it.path);
          yield chunk;
        }
      };
      try {
        const { size } = await zip.addStream(it.path, { mtime: it.mtime, mode: 0o100000 | it.mode, compress: worthCompressing(abs, it), sizeHint: it.size }, hashed());
        addEntry({ path: it.path, kind: 'file', size, sha256: h.digest('hex'), mode: it.mode });
      } finally {
        await fh.close();
      }
      filesDone++;
      await tick();
    }
    submit();
    await drain(true);
  };

  // The manifest is the last entry, written once every file before it was hashed.
  const addManifest = async (): Promise<void> => {
    manifest!.write(`],"totals":${JSON.stringify({ ...c, bytes: bytesDone })}}\n`);
    const { crc, size, body } = await manifest!.end();
    await zip.addPacked(MANIFEST_NAME, { mtime: ctx.clock.now(), mode: 0o100644 }, { crc, size, body, method: 8 });
  };
  let addError: unknown;
  try {
    manifest = startManifest();
    packer = new Packer(opts.worker ?? useWorker(smallBytes));
    await addAll();
    await addManifest();
    await zip.end();
  } catch (e) {
    addError = e;
  } finally {
    manifest?.destroy();
    await packer?.close();
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

/** Text deflated (level 6) as it is written, in ~64 KiB pieces on zlib's thread pool; end() gives the CRC-32, size and deflated bytes. */
class DeflatedText {
  private readonly deflate = createDeflateRaw({ level: 6 });
  private readonly out: Buffer[] = [];
  private pending: string[] = [];
  private pendingChars = 0;
  private crc = 0;
  private size = 0;
  private readonly done: Promise<void>;

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.done = once(this.deflate, 'end').then(() => undefined);
    // A failure surfaces in end(); this only keeps it from counting as unhandled meanwhile.
    this.done.catch(() => undefined);
  }

  /** Append `s`. */
  write(s: string): void {
    this.pending.push(s);
    this.pendingChars += s.length;
    if (this.pendingChars >= 64 * 1024) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const b = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
    this.crc = crc32(b, this.crc);
    this.size += b.length;
    this.deflate.write(b);
  }

  /** Finish: the text's CRC-32 and byte size, and its deflated bytes (raw deflate, in order). */
  async end(): Promise<{ crc: number; size: number; body: Buffer[] }> {
    this.flush();
    this.deflate.end();
    await this.done;
    return { crc: this.crc, size: this.size, body: this.out };
  }

  /** Drop it (a failed backup). */
  destroy(): void {
    this.deflate.destroy();
  }
}
