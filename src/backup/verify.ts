// `rollout verify`: the archive against its .sha256 and every entry's size and CRC-32, in one read
// (onePass), after the zip structure, every entry's name and size against the manifest, and limits
// against zip bombs. Anything wrong is refused (exit 3) with one sentence. The same scan, with a
// sink, is what a restore extracts through, so nothing is written that was not checked.
import { isAscii } from 'node:buffer';
import { hash } from 'node:crypto';
import { existsSync, fstatSync, statSync, type Stats } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Workspace } from '../config/workspace.js';
import { RefusedError, RolloutError, StepFailedError, UsageError } from '../domain/errors.js';
import { readChecksumFile, sha256File } from './checksum.js';
import { claimEntry, entryList, inlineHasher, threadHasher, type ArchiveHasher, type EntryList } from './thread-hash.js';
import { backPass, catchUpPass, DEFLATED, FIELDS, LINK, passShare, type EntryFailureAt, type PassShare, type ReadFn } from './read-pass.js';
import { DEFAULT_LIMITS, roomProblem, type ArchiveLimits } from './limits.js';
import { MANIFEST_NAME, parseManifest, type Manifest, resolveLinkTarget, unsafePathReason, type ManifestEntry } from './manifest.js';
import { listBackups, parseBackupName, wsRelative } from './names.js';
import { checkManifestScope, type BackupScope } from './scope.js';
import { TooManyEntries, ZipReader, dataStartFromLocalHeader, inflateExactly, type ZipEntry } from './zip.js';
import { sharedInflater } from './inflate.js';
import { discardHashThread, HASH_THREAD_FROM } from './hash-prestart.js';
import { join, basename, relative, isAbsolute } from 'node:path';
import { fileWriter, inlineWriter, threadWriter, WriteThreadStopped, type FileWriter } from './write-thread.js';
import { copyLarge, NotTheSameFile, type Copied, type FileKey, type LargeEntry } from './copy-large.js';

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
  /** The archive's identity (fileIdentity) as stat'ed before any of it was read: a caller that reuses this result checks that the path still names that very file. */
  identity?: string;
}

/** A file's identity: device, inode, size, mtime and ctime (a file replaced or rewritten has another). */
export function fileIdentity(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** Where a restore puts each checked entry. */
export interface ScanSink {
  /** Where a file's data goes (a new file, created exclusively, its folder made by the scan), or undefined to discard it. */
  file(entry: Extract<ManifestEntry, { kind: 'file' }>): { path: string; mode: number } | undefined;
  /** Called with the checked manifest before any entry is read (a restore compares it with what it verified). */
  begin?(manifest: Manifest): void;
  /** Called for every folder and link after all files were written and checked. */
  finish(manifest: Manifest): Promise<void>;
}

const S_IFLNK = 0o120000;
const MiB = 1024 * 1024;
// Below this many inflated bytes a high ratio is harmless (a small file of zeros); above it, it is a bomb's signature.
const RATIO_FLOOR = 64 * MiB;
const CONCURRENCY = 8;
// Entries up to this size are read and inflated whole; larger ones are streamed.
const SMALL_ENTRY = 1024 * 1024;

/** A file's entry (a folder's is never read): its name is the archive's, as checked. */
type ZipItem = ZipEntry;

/** Whether an entry is a symbolic link (made on unix with the link type bits). */
function isLink(e: ZipEntry): boolean {
  return e.unixType === S_IFLNK;
}

// What reading the archive may fail in (its own file, by fd or by its path): anything else with a
// syscall is the restore creating its files (open, write, mkdir, symlink, chmod: a full or
// read-only disk), which is no fault of the archive.
const READ_SYSCALLS = new Set(['read', 'fstat', 'stat', 'lstat']);

/** An error from writing a restore's files (not from reading `zipPath`), or undefined. */
function writeError(e: unknown, zipPath: string): NodeJS.ErrnoException | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || e instanceof RolloutError || typeof err.code !== 'string' || typeof err.syscall !== 'string') return undefined;
  if (READ_SYSCALLS.has(err.syscall) || err.path === zipPath) return undefined;
  return err;
}

/**
 * A restore that could not write its files, in one sentence, exit 1: never "the archive is
 * damaged" (exit 3), which could make an operator throw a good backup away during an incident.
 */
function writeFailure(err: NodeJS.ErrnoException, display: string, destination: string | undefined): StepFailedError {
  const where = err.path ? (destination && !isAbsolute(relative(destination, err.path)) ? relative(destination, err.path) : err.path) : undefined;
  return new StepFailedError(`${display} could not be restored: ${where ? `writing ${short(where)} failed` : 'writing its files failed'} (${short(err.message).replace(/\.$/, '')}); the archive is not at fault.`, ['free space or make the folder writable, then run the rollback again']);
}

function short(s: string): string {
  // Control characters in a hostile name must not reach the terminal.
  const clean = [...s].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

/** An entry refused for `e` (what its data is found to be), in one sentence. */
function entryDamaged(display: string, name: string, e: unknown): RefusedError {
  return e instanceof RefusedError ? e : new RefusedError(`${display}: "${short(name)}" is damaged (${short((e as Error).message).replace(/\.$/, '')}).`);
}

/** An entry whose CRC-32 does not match. */
function crcMismatchOf(display: string, name: string): RefusedError {
  return new RefusedError(`${display}: the CRC-32 of "${short(name)}" does not match; the archive is damaged.`);
}

/** A link whose target is too long to be one. */
function linkTooLong(display: string, name: string, bytes: number): RefusedError {
  return new RefusedError(`${display} holds the link "${short(name)}" with a target of ${bytes} bytes; refusing it.`);
}

/** A link whose CRC-32 does not match. */
function linkCrcMismatch(display: string, name: string): RefusedError {
  return new RefusedError(`${display}: the CRC-32 of the link "${short(name)}" does not match; the archive is damaged.`);
}

/** Verify's single read: its hasher, whether every byte was hashed, and how this thread reads in a read pass (fs.readSync; a test may pass one that fails). */
interface OnePass {
  hasher: ArchiveHasher;
  done: boolean;
  read?: ReadFn;
}

/** Options of scanArchive. */
export interface ScanOptions {
  limits?: ArchiveLimits;
  sink?: ScanSink;
  onProgress?: (p: ScanProgress) => void;
  /**
   * Verify in one pass (no sink): read the archive once from start to end, feeding every byte to
   * `pass.hasher` and checking each entry's size and CRC-32 from the same bytes; `pass.done` is set
   * once every byte was hashed (also when an entry failed: the caller compares the hash first).
   */
  pass?: OnePass;
  /** Where a restore writes (its filesystem must have the inodes and space for every entry); unset for verify. */
  destination?: string;
  /** What a backup of the manifest's environment may hold (src/backup/scope.ts); checked before any data is read. */
  scope: (env: string) => BackupScope;
  /** A restore creates its small files on a second thread (true), on this one (false), or decides by their count (unset). */
  writeThread?: boolean;
}

/** Check an archive's structure and every entry against its manifest, streaming; the sink gets the checked data. */
export async function scanArchive(path: string, display: string, opts: ScanOptions): Promise<Manifest> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let reader: ZipReader;
  try {
    reader = await ZipReader.open(path);
  } catch (e) {
    throw new RefusedError(`${display} is truncated or not a zip archive (${short((e as Error).message)}).`);
  }
  // A restore's writing thread starts now, so that it is up by the time the checks below are done.
  let writer: FileWriter | undefined;
  if (opts.sink) writer = opts.writeThread === undefined ? fileWriter(reader.entryCount) : opts.writeThread ? threadWriter() : inlineWriter();
  try {
    return await scanOpen(reader, display, limits, opts, writer);
  } catch (e) {
    if (e instanceof RolloutError) throw e;
    const w = writeError(e, path);
    if (w) throw writeFailure(w, display, opts.destination);
    // The thread dying is this program's fault, not the archive's (exit 3 would get a good backup thrown away).
    if (e instanceof WriteThreadStopped) throw new StepFailedError(`${display} could not be restored: ${short(e.message).replace(/\.$/, '')}; the archive is not at fault.`, ['run the rollback again; if this repeats, reinstall rollout (its dist/workers/ may be incomplete)']);
    throw new RefusedError(`${display} is damaged: ${short((e as Error).message).replace(/\.$/, '')}.`);
  } finally {
    // Once this resolves the writing thread is gone: after a failure, the caller may remove the staging.
    await writer?.close();
    await reader.close();
  }
}

/**
 * What is wrong with an entry's numbers (named `clean`), `total` being the inflated bytes of the
 * entries up to it: encrypted, an unknown compression method, past a limit. These decide what an
 * entry may cost to inflate; checked before any is.
 */
function entryNumbersProblem(e: ZipEntry, clean: string, total: number, display: string, limits: ArchiveLimits): RefusedError | undefined {
  if (e.encrypted) return new RefusedError(`${display} holds an encrypted entry ("${short(clean)}"); backups are never encrypted, refusing it.`);
  if (e.compressionMethod !== 0 && e.compressionMethod !== 8) return new RefusedError(`${display} holds an entry with unknown compression method ${e.compressionMethod} ("${short(clean)}").`);
  if (e.uncompressedSize > limits.maxEntryBytes) return new RefusedError(`${display} holds "${short(clean)}" of ${e.uncompressedSize} bytes, above the per-entry limit of ${limits.maxEntryBytes} (a zip bomb?).`);
  if (total > limits.maxTotalBytes) return new RefusedError(`${display} would inflate to more than ${limits.maxTotalBytes} bytes, the limit for a backup (a zip bomb?).`);
  if (e.uncompressedSize > RATIO_FLOOR && e.uncompressedSize / Math.max(1, e.compressedSize) > limits.maxRatio) {
    return new RefusedError(`${display} holds "${short(clean)}" compressed ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1, above the limit of ${limits.maxRatio}:1 (a zip bomb?).`);
  }
  return undefined;
}

/** What is wrong with the archive's numbers as a whole (`total`: every entry's inflated bytes): entries whose data overlap, or too high a ratio. */
function archiveNumbersProblem(raw: ZipEntry[], total: number, display: string, limits: ArchiveLimits, archiveBytes: number): RefusedError | undefined {
  // Entries whose data overlap (one compressed stream counted many times) are the trick of the
  // non-recursive zip bombs; a real archive never shares data between entries.
  const byOffset = inFileOrder(raw);
  for (let k = 1; k < byOffset.length; k++) {
    const a = byOffset[k - 1]!;
    if (a.offset + 30 + a.nameBytes + a.compressedSize > byOffset[k]!.offset) {
      return new RefusedError(`${display} holds entries whose data overlap ("${short(a.name)}"), the mark of a zip bomb; refusing it.`);
    }
  }
  if (total > RATIO_FLOOR && total / Math.max(1, archiveBytes) > limits.maxRatio) {
    return new RefusedError(`${display} would inflate ${Math.round(total / archiveBytes)}:1, above the limit of ${limits.maxRatio}:1 (a zip bomb?).`);
  }
  return undefined;
}

/** The first problem of the entries' numbers alone (entryNumbersProblem, then archiveNumbersProblem), or undefined. */
function numbersProblem(raw: ZipEntry[], display: string, limits: ArchiveLimits, archiveBytes: number): RefusedError | undefined {
  let total = 0;
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i]!;
    total += e.uncompressedSize;
    // (the common case decided without a call per entry; entryNumbersProblem decides and words the rest)
    if (e.encrypted || (e.compressionMethod !== 0 && e.compressionMethod !== 8) || e.uncompressedSize > limits.maxEntryBytes || total > limits.maxTotalBytes || e.uncompressedSize > RATIO_FLOOR) {
      const p = entryNumbersProblem(e, e.name, total, display, limits);
      if (p) return p;
    }
  }
  return archiveNumbersProblem(raw, total, display, limits, archiveBytes);
}

/** Whether a manifest path is the archive entry's name as checked (a folder's without its trailing slash, which the path must not have). */
function sameName(path: string, name: string): boolean {
  return name.charCodeAt(name.length - 1) === 0x2f ? path.length === name.length - 1 && name.startsWith(path) : path === name;
}

/**
 * manifest.json's text, as UTF-8. When its bytes are all ASCII (a backup's are, unless a name is
 * not), UTF-8 and Latin-1 decode to the same string, and Latin-1 is a plain copy where UTF-8 is a
 * decode (~10 ms of a 2 MB manifest, 10k entries).
 */
export function manifestString(b: Buffer): string {
  return isAscii(b) ? b.toString('latin1') : b.toString('utf8');
}

/** `list` sorted by offset: itself when it already is (archives list their entries in file order), else a sorted copy. */
function inFileOrder(list: ZipEntry[]): ZipEntry[] {
  // (no key function: called per element, it cost more than the loop)
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.offset > list[i]!.offset) return [...list].sort((a, b) => a.offset - b.offset);
  return list;
}

/** Every central-directory entry, refusing more than the limit allows. */
async function allEntries(reader: ZipReader, display: string, limits: ArchiveLimits): Promise<ZipEntry[]> {
  try {
    return await reader.entries(limits.maxEntries);
  } catch (e) {
    if (e instanceof TooManyEntries) throw new RefusedError(`${display} holds more than ${limits.maxEntries} entries, the limit for a backup (a zip bomb?).`);
    throw e;
  }
}

async function scanOpen(reader: ZipReader, display: string, limits: ArchiveLimits, opts: ScanOptions, writer: FileWriter | undefined): Promise<Manifest> {
  if (reader.entryCount > limits.maxEntries) throw new RefusedError(`${display} holds ${reader.entryCount} entries, above the limit of ${limits.maxEntries} (a zip bomb?).`);
  const raw = await allEntries(reader, display, limits);
  // The checks of the entries' numbers alone first (limits, methods, encryption, overlap): they
  // are all a read pass needs before it may inflate anything, so that the hashing thread starts on
  // the entries while this thread checks their names. Only when they all pass is the pass started
  // here; either way, the full checks below run in the archive's order and refuse the first
  // problem in the same words (what the pass finds is reported only after them).
  const numbersOk = numbersProblem(raw, display, limits, reader.size) === undefined;
  // The files (entries read for their data), in central-directory order, as the checks below find
  // them when they pass: every entry but the folders and the (first) manifest.
  const files: ZipItem[] = [];
  let bytesTotal = 0;
  let manifestAt = -1;
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i]!;
    if (e.name.endsWith('/')) continue;
    if (e.name === MANIFEST_NAME && manifestAt < 0) {
      manifestAt = i;
      continue;
    }
    files.push(e);
    bytesTotal += e.uncompressedSize;
  }
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
  // Verify: the single read (hash, sizes, CRC-32s) starts now, beside the checks below: it needs
  // only the central directory's numbers. It goes first until every read buffer is with the
  // hashing thread, so that the other core inflates those chunks' small entries while this one
  // checks the names and the manifest. Problems are still reported in the same order: the
  // archive's own structure, then the manifest, then the entries' data.
  let handedOut: () => void = () => undefined;
  const firstTurn = new Promise<void>((resolve) => (handedOut = resolve));
  let manifestDone = false;
  let othersDone: (refused: boolean) => void = () => undefined;
  const manifestChecked = new Promise<boolean>((resolve) => (othersDone = resolve));
  const startPass = (): Promise<Map<string, string>> | undefined => {
    if (!opts.pass || opts.sink) return undefined;
    const run = onePass(
      reader,
      files,
      display,
      opts.pass,
      (n) => {
        bytesDone += n;
        entriesDone++;
        emit(false);
      },
      { handedOut: () => handedOut(), free: () => manifestDone, othersDone: manifestChecked },
    );
    run.catch(() => undefined);
    return run;
  };
  let passRun = numbersOk ? startPass() : undefined;
  // Every name once (without a folder's trailing slash), with its entry's index in `raw`: numbers,
  // not an object per entry (10k of them, kept to the end, were garbage collection's work, twice
  // moved before they reached the old space).
  const names = new Map<string, number>();
  try {
    let totalBytes = 0;
    let manifestSeen = false;
    for (let i = 0; i < raw.length; i++) {
      const e = raw[i]!;
      const name = e.name;
      const dir = name.endsWith('/');
      const clean = dir ? name.slice(0, -1) : name;
      const why = unsafePathReason(clean);
      if (why) throw new RefusedError(`${display} holds an entry with ${why} ("${short(name)}"); refusing it.`);
      if (names.has(clean) || (clean === MANIFEST_NAME && manifestSeen)) throw new RefusedError(`${display} holds the name "${short(clean)}" more than once; refusing it.`);
      totalBytes += e.uncompressedSize;
      // (when the numbers passed on their own above, they pass here too: the same checks of the same entries)
      const numbers = numbersOk ? undefined : entryNumbersProblem(e, clean, totalBytes, display, limits);
      if (numbers) throw numbers;
      if (clean === MANIFEST_NAME && !dir) manifestSeen = true;
      else names.set(clean, i);
    }
    const overlap = numbersOk ? undefined : archiveNumbersProblem(raw, totalBytes, display, limits, reader.size);
    if (overlap) throw overlap;
    if (opts.destination) {
      const why = roomProblem(opts.destination, raw.length, totalBytes);
      if (why) throw new RefusedError(`${display} would restore ${why} on the filesystem of ${opts.destination}; refusing it before writing anything.`);
    }
    if (manifestAt < 0) throw new RefusedError(`${display} has no ${MANIFEST_NAME}, so its content cannot be checked; refusing it.`);
    if (raw[manifestAt]!.uncompressedSize > limits.maxManifestBytes) throw new RefusedError(`${display}: ${MANIFEST_NAME} is ${raw[manifestAt]!.uncompressedSize} bytes, above the limit of ${limits.maxManifestBytes}.`);
  } catch (e) {
    // The read goes on to its end (with no other checks to wait for), so that the caller has the
    // archive's hash without a second read.
    manifestDone = true;
    othersDone(true);
    await passRun?.catch(() => undefined);
    throw e;
  }
  // (the numbers' checks found nothing above, so they found nothing before either: never here)
  passRun ??= startPass();
  const manifestEntry = raw[manifestAt]!;
  const { manifest, entryOf } = await (async (): Promise<{ manifest: Manifest; entryOf: (name: string) => ManifestEntry | undefined }> => {
    if (passRun) await Promise.race([firstTurn, passRun.catch(() => undefined)]);
    // Between the manifest's steps the read goes on (a chunk read meanwhile is checked and handed
    // to the hashing thread), so that the other core keeps inflating while this one checks.
    const turn = (): Promise<void> | undefined => (passRun ? new Promise<void>((r) => setImmediate(r)) : undefined);
    let manifestText: string;
    try {
      // Inflated here, at once: the thread pool's turn cost this thread more waiting than the inflate itself.
      manifestText = manifestString(inflateExactly(manifestEntry, await reader.compressedDirect(manifestEntry), false));
    } catch (e) {
      throw new RefusedError(`${display}: ${MANIFEST_NAME} cannot be read (${short((e as Error).message)}); the archive is damaged.`);
    }
    await turn();
    let manifest: Manifest;
    try {
      const parsed: unknown = JSON.parse(manifestText);
      // (the text, ~200 bytes an entry, is not kept across the turns below)
      manifestText = '';
      await turn();
      manifest = await parseManifest(parsed);
    } catch (e) {
      throw new RefusedError(`${display}: ${MANIFEST_NAME} is malformed (${short((e as Error).message)}).`);
    }
    await turn();

    // The manifest and the archive must list exactly the same things, safely.
    const list = manifest.entries;
    // The archive's entries but the manifest, in order: the k-th is raw[itemAt(k)], and raw[i] is the (i < manifestAt ? i : i - 1)-th.
    const itemAt = (k: number): number => (k < manifestAt ? k : k + 1);
    // A backup lists its entries in the manifest in the order it archived them: when the manifest
    // names exactly the archive's entries, in order, its paths are the archive's names (checked
    // above: safe and each once), and the k-th entry of each side is the other's, so that no index
    // of the manifest by path is needed (10k map entries, and their garbage). Otherwise (another
    // order, a name more or less) the manifest is indexed by path, and each check finds the same.
    let sameOrder = list.length === names.size;
    for (let k = 0; sameOrder && k < list.length; k++) sameOrder = sameName(list[k]!.path, raw[itemAt(k)]!.name);
    const byPath = sameOrder ? undefined : new Map<string, ManifestEntry>();
    const links = new Set<string>();
    for (const m of list) {
      if (byPath) {
        // (a path the archive holds too was checked with the archive's names, which are refused first)
        const why = names.has(m.path) ? undefined : unsafePathReason(m.path);
        if (why) throw new RefusedError(`${display}: ${MANIFEST_NAME} lists a path with ${why} ("${short(m.path)}"); refusing it.`);
        if (byPath.has(m.path)) throw new RefusedError(`${display}: ${MANIFEST_NAME} lists "${short(m.path)}" more than once; refusing it.`);
        byPath.set(m.path, m);
      }
      if (m.kind === 'symlink') {
        const r = resolveLinkTarget(m.path, m.target);
        if ('reason' in r) throw new RefusedError(`${display} holds the link "${short(m.path)}" that ${r.reason}; refusing it.`);
        links.add(m.path);
      }
    }
    // The manifest's entry at an archive entry's name (without a folder's trailing slash), if any.
    const entryOf = (name: string): ManifestEntry | undefined => {
      if (byPath) return byPath.get(name);
      const i = names.get(name);
      return i === undefined ? undefined : list[i < manifestAt ? i : i - 1];
    };
    for (const r of manifest.roots) {
      const why = unsafePathReason(r.path);
      if (why) throw new RefusedError(`${display}: ${MANIFEST_NAME} names a root with ${why} ("${short(r.path)}"); refusing it.`);
    }
    await turn();
    // Which workspace paths this backup may replace or remove comes from the runbook, not from the manifest.
    checkManifestScope(manifest, opts.scope(manifest.env), display, short, { get: entryOf });
    opts.sink?.begin?.(manifest);
    const roots = manifest.roots.filter((r) => r.kind !== 'absent').map((r) => r.path);
    // Per entry, these checks are a few string compares (no slices or lookups per path segment):
    // they run for every entry of the archive.
    const below = (name: string, dir: string): boolean => name.length > dir.length && name.charCodeAt(dir.length) === 0x2f && name.startsWith(dir);
    // A few links (the usual `current`) are compared with each name; many are looked up by the name's parent folders.
    const linkList = links.size <= 16 ? [...links] : undefined;
    // Every archive entry (but the manifest), in the archive's order.
    for (let i = 0; i < raw.length; i++) {
      if (i === manifestAt) continue;
      const it = raw[i]!;
      const dir = it.name.endsWith('/');
      const name = dir ? it.name.slice(0, -1) : it.name;
      const m = byPath ? byPath.get(name) : list[i < manifestAt ? i : i - 1];
      if (!m) throw new RefusedError(`${display} holds "${short(name)}", which ${MANIFEST_NAME} does not list; refusing it.`);
      const kind = dir ? 'dir' : isLink(it) ? 'symlink' : 'file';
      if (m.kind !== kind) throw new RefusedError(`${display} holds "${short(name)}" as a ${kind} but ${MANIFEST_NAME} lists a ${m.kind}; refusing it.`);
      let inRoot = false;
      for (let r = 0; r < roots.length && !inRoot; r++) inRoot = name === roots[r] || below(name, roots[r]!);
      if (!inRoot) throw new RefusedError(`${display} holds "${short(name)}" outside the paths it backs up; refusing it.`);
      // Nothing may be written through a link: an entry below a link could land anywhere. (The
      // shallowest such link is named.)
      let parent: string | undefined;
      if (linkList) {
        for (const l of linkList) if (below(name, l) && (parent === undefined || l.length < parent.length)) parent = l;
      } else {
        for (let at = name.indexOf('/'); at > 0 && parent === undefined; at = name.indexOf('/', at + 1)) if (links.has(name.slice(0, at))) parent = name.slice(0, at);
      }
      if (parent !== undefined) throw new RefusedError(`${display} holds "${short(name)}" below the link "${short(parent)}"; refusing it.`);
      if (m.kind === 'file' && m.size !== it.uncompressedSize) throw new RefusedError(`${display} holds "${short(name)}" of ${it.uncompressedSize} bytes but ${MANIFEST_NAME} says ${m.size}; refusing it.`);
    }
    // Every archive entry is listed (above) and both sides' names are unique: equal counts mean
    // the manifest lists nothing more; only otherwise is the missing one looked for.
    if (byPath && byPath.size !== names.size) for (const m of list) if (!names.has(m.path)) throw new RefusedError(`${display} lacks "${short(m.path)}", which ${MANIFEST_NAME} lists (missing entry); refusing it.`);
    return { manifest, entryOf };
  })().then(
    (r) => {
      manifestDone = true;
      othersDone(false);
      return r;
    },
    async (e: unknown) => {
      manifestDone = true;
      othersDone(true);
      // The read goes on to its end, so that the caller has the archive's hash without a second read.
      await passRun?.catch(() => undefined);
      throw e;
    },
  );
  if (passRun) {
    const targets = await passRun;
    for (const [name, target] of targets) {
      const m = entryOf(name)!;
      if (m.kind === 'symlink' && target !== m.target) throw new RefusedError(`${display} holds the link "${short(name)}" pointing to "${short(target)}" but ${MANIFEST_NAME} says "${short(m.target)}"; refusing it.`);
    }
    emit(true);
    return manifest;
  }
  // A restore: every file read, checked and written, several at once. The archive is not hashed
  // again here, so each file is also held to the SHA-256 its manifest lists: an archive replaced
  // or changed since it was verified (with CRCs made to match) is caught before anything is swapped in.
  // Streamed (large) entries go first: their inflate and writes run beside the small files,
  // instead of alone at the end (the last 0.6 s of the JS-like mix's restore). The deflated ones
  // lead (inflating is their slowest part), then the larger: two stream at a time, and the one
  // left waiting for a turn should be the quickest (it used to be the mix's 32 MiB of text, which
  // then ran alone for the last ~0.3 s).
  const large = files.filter((i) => !isSmall(i)).sort((a, b) => Number(b.compressionMethod === 8) - Number(a.compressionMethod === 8) || b.uncompressedSize - a.uncompressedSize);
  const order = [...large, ...files.filter((i) => isSmall(i))];
  let next = 0;
  let failed: unknown;
  let lastYield = Date.now();
  const worker = async (): Promise<void> => {
    while (next < order.length && failed === undefined) {
      const it = order[next++]!;
      const m = entryOf(it.name)!;
      try {
        if (m.kind === 'symlink') {
          if (it.uncompressedSize > 4096) throw linkTooLong(display, it.name, it.uncompressedSize);
          let target: string;
          try {
            target = (await reader.small(it)).toString('utf8');
          } catch (e) {
            throw new RefusedError(`${display}: the link "${short(it.name)}" cannot be read (${short((e as Error).message)}); the archive is damaged.`);
          }
          if (crc32(Buffer.from(target)) !== it.crc32) throw linkCrcMismatch(display, it.name);
          if (target !== m.target) throw new RefusedError(`${display} holds the link "${short(it.name)}" pointing to "${short(target)}" but ${MANIFEST_NAME} says "${short(m.target)}"; refusing it.`);
        } else if (m.kind === 'file') {
          await checkFile(reader, it, m, display, opts.sink, writer, (n) => {
            bytesDone += n;
            emit(false);
          });
        }
        entriesDone++;
        // Small entries from cached blocks never wait for I/O, so without this the large entries'
        // stream events (and the writer's part-filled batch) would wait for the next block read.
        if (Date.now() - lastYield > 20) {
          lastYield = Date.now();
          await new Promise<void>((r) => setImmediate(r));
        }
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, order.length)) }, () => worker()));
  if (failed !== undefined) throw failed;
  // Every file exists before the folders get their modes and the links are made.
  await writer?.flush();
  emit(true);
  if (opts.sink) await opts.sink.finish(manifest);
  return manifest;
}

/** Whether an entry is read and inflated whole (else streamed). */
function isSmall(e: ZipEntry): boolean {
  return e.compressedSize <= SMALL_ENTRY && e.uncompressedSize <= 8 * SMALL_ENTRY;
}

async function checkFile(reader: ZipReader, it: ZipItem, m: Extract<ManifestEntry, { kind: 'file' }>, display: string, sink: ScanSink | undefined, writer: FileWriter | undefined, onBytes: (n: number) => void): Promise<void> {
  const dest = sink?.file(m);
  // A failed write (a full disk) passes through as it is: scanArchive says what it was.
  const damaged = (e: unknown): Error => (writeError(e, reader.path) as Error | undefined) ?? new RefusedError(`${display}: "${short(it.name)}" is damaged (${short((e as Error).message).replace(/\.$/, '')}).`);
  // Size, CRC-32 and the manifest's SHA-256 of what was read.
  const hold = (n: number, crc: number, sha256: string): void => {
    if (n !== m.size) throw new RefusedError(`${display}: "${short(it.name)}" has ${n} bytes but ${MANIFEST_NAME} says ${m.size}; the archive is damaged.`);
    if (crc >>> 0 !== it.crc32 >>> 0) throw crcMismatchOf(display, it.name);
    if (sha256 !== m.sha256) throw new RefusedError(`${display}: the SHA-256 of "${short(it.name)}" does not match ${MANIFEST_NAME}; the archive is damaged.`);
  };
  if (isSmall(it)) {
    // Room in the writer first: from the inflate to the hand-over nothing may wait (the inflated
    // bytes live in this thread's shared inflate buffer, which the next entry overwrites).
    await writer?.ready();
    let raw: Buffer;
    try {
      raw = await reader.compressed(it);
    } catch (e) {
      throw damaged(e);
    }
    let data: Buffer;
    let crc: number;
    if (it.compressionMethod === 8) {
      // On this thread's reused zlib handle (src/backup/inflate.ts): no zlib object or output buffer per entry.
      const r = sharedInflater().inflate(raw, it.uncompressedSize);
      if (!r.ok) throw damaged(new Error(r.message));
      data = r.data;
      crc = r.crc;
    } else {
      if (it.compressedSize !== it.uncompressedSize) throw damaged(new Error('a stored entry whose sizes disagree'));
      data = raw;
      crc = crc32(raw);
    }
    onBytes(data.length);
    // Checked before it is handed on: the writer may create it on another thread after this returns.
    hold(data.length, crc, hash('sha256', data, 'hex'));
    // Small files go to the writer (src/backup/write-thread.ts), which creates them on a second
    // thread beside this one's inflate and hashing, in batches (a thread-pool round trip per file
    // cost more than the call itself).
    if (dest && writer) writer.put(dest.path, dest.mode, data);
    return;
  }
  // Large entries stream one or two at a time: memory stays flat whatever the archive holds.
  await reader.bigSlot.acquire();
  let got: Copied;
  try {
    const e = it;
    const large: LargeEntry = { start: await reader.dataStart(e), compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, method: e.compressionMethod };
    // On the file-creating thread when it copies no other (the other of the two at a time runs
    // here): the hashing and copying of large files then run beside this thread's work, the
    // small files' inflating and checking or the other large file.
    if (dest && writer?.copyLarge && writer.largeJobs!() === 0) {
      got = await writer.copyLarge(reader.path, large, dest);
      onBytes(got.n);
    } else got = await copyLarge(reader.path, large, dest, onBytes);
  } catch (e) {
    throw damaged(e);
  } finally {
    reader.bigSlot.release();
  }
  hold(got.n, got.crc, got.sha256);
}

/** How onePass shares this thread with the caller's other checks (the manifest's, in scanOpen). */
interface PassTurns {
  /** Called when every read buffer is with the hashing thread, when a large entry waits for zlib, and when the read ends: the other checks may run now. */
  handedOut(): void;
  /** Whether the other checks are done: this thread then checks handed-over entries itself rather than wait. */
  free(): boolean;
  /** Settles when the other checks are done: with true when they refused the archive (the pass then only hashes what it has not checked yet). */
  othersDone: Promise<boolean>;
}

/**
 * Read size of the one-pass verify: few, large reads (4 MiB) keep system calls and messages low
 * on large archives. Below 64 MiB, 1 MiB: the three buffers are then reused (as memory already
 * mapped) instead of being fresh for most of the archive; on this machine a fresh page costs
 * ~12 us to fault in for the read plus ~6 us at its first touch (14 MiB read into 4 MiB buffers:
 * 68 ms of CPU; into 1 MiB buffers: 20 ms).
 */
export function passChunk(archiveBytes: number): number {
  return archiveBytes < 64 * MiB ? MiB : 4 * MiB;
}

/**
 * Verify's single read of the archive: every byte goes to the archive's SHA-256 and, where it is
 * an entry's data, to that entry's CRC-32 (inflated first when deflated), checked against the
 * central directory together with the exact size. No per-entry SHA-256 here: the archive's
 * SHA-256 against its .sha256 already pins every byte of every entry and of manifest.json, so
 * hashing the entries again would protect against nothing more. CRC-32 and size still matter: they
 * catch an archive that its own writer got wrong (the .sha256 was taken of those wrong bytes).
 * On the first bad entry, checking stops but hashing goes on to the end, so that the caller can
 * say "corrupt" (hash mismatch) rather than only "damaged".
 */
async function onePass(reader: ZipReader, files: ZipItem[], display: string, pass: OnePass, onEntry: (bytes: number) => void, turns: PassTurns): Promise<Map<string, string>> {
  const order = inFileOrder(files);
  // Every entry small (10k or 50k small files): the hashing thread reads the archive itself.
  const share = pass.hasher.readPass && order.length > 0 ? entryTable(reader, order) : undefined;
  if (share) return readPassRun(order, share, display, pass, onEntry, turns);
  let k = 0;
  // The first failure in file order wins (entries handed to the hashing thread report later).
  let failed: { at: number; e: unknown } | undefined;
  const fail = (at: number, e: unknown): void => {
    if (!failed || at < failed.at) failed = { at, e };
  };
  // The order index of the entry this thread is checking (for fail()).
  let checking = 0;
  const targets = new Map<string, string>();
  interface Current {
    it: ZipItem;
    start: number;
    end: number;
    crc: number;
    n: number;
    parts?: Buffer[];
    /** Checked apart (inflatedApart below): the pass only hashes its bytes. */
    apart?: true;
  }
  let cur: Current | undefined;
  const damaged = (it: ZipItem, e: unknown): RefusedError => entryDamaged(display, it.name, e);
  // An entry's data starts at `start`; its state for the bytes to come (a large deflated entry is
  // checked apart, a small deflated one or a link is collected whole, a stored one CRC'd as it comes).
  const open = (it: ZipItem, start: number, apart: boolean): Current => {
    const e = it;
    const c: Current = { it, start, end: start + e.compressedSize, crc: 0, n: 0 };
    if (apart) c.apart = true;
    else if (e.compressionMethod === 8 || isLink(it)) c.parts = [];
    return c;
  };
  // (synchronous: an await per entry cost a microtask turn and a promise each, ~10 % of a 10k-file verify)
  const feed = (c: Current, data: Buffer): void => {
    if (c.apart) return;
    if (c.parts) c.parts.push(data);
    else {
      c.crc = crc32(data, c.crc);
      c.n += data.length;
    }
  };
  const crcMismatch = (it: ZipItem): RefusedError => crcMismatchOf(display, it.name);
  // The entry's size and CRC-32 against the central directory; a link's target is kept for the
  // caller to hold to the manifest.
  const verdict = (it: ZipItem, n: number, crc: number, data: Buffer | undefined): void => {
    const e = it;
    if (n !== e.uncompressedSize) throw new Error(`it inflates to ${n} bytes, not the ${e.uncompressedSize} it declares`);
    if (isLink(it)) {
      if (e.uncompressedSize > 4096) throw linkTooLong(display, it.name, e.uncompressedSize);
      // (a link's data is collected whole; it is missing only when the link's deflate stream is over 1 MiB)
      if (!data) throw new RefusedError(`${display} holds the link "${short(it.name)}" in ${e.compressedSize} compressed bytes; refusing it.`);
      if (crc >>> 0 !== e.crc32) throw linkCrcMismatch(display, it.name);
      targets.set(it.name, data.toString('utf8'));
    } else if (crc >>> 0 !== e.crc32) throw crcMismatch(it);
    onEntry(n);
  };
  // An entry whose compressed bytes are all in `raw`: inflated on this thread's reused zlib
  // handle into its pooled buffer (used before anything else can inflate), or CRC'd as stored.
  const whole = (it: ZipItem, raw: Buffer): void => {
    const e = it;
    if (e.compressionMethod === 8) {
      const r = sharedInflater().inflate(raw, e.uncompressedSize);
      if (!r.ok) throw new Error(r.message);
      verdict(it, r.data.length, r.crc, r.data);
    } else verdict(it, raw.length, crc32(raw), raw);
  };
  const finish = (c: Current): void => {
    if (c.apart) return;
    if (c.parts) whole(c.it, c.parts.length === 1 ? c.parts[0]! : Buffer.concat(c.parts));
    else verdict(c.it, c.n, c.crc, undefined);
  };
  // Check the entries' data inside [base, base + chunk.length); small deflated entries lying wholly
  // in it are pushed to `jobs` instead (for the hashing thread) when `jobs` is given.
  const check = async (chunk: Buffer, base: number, jobs: Job[] | undefined): Promise<void> => {
    let at = 0;
    const limit = base + chunk.length;
    while (at < chunk.length) {
      if (!cur) {
        const it = order[k];
        if (!it) return;
        const e = it;
        if (e.offset >= limit) return;
        checking = k;
        try {
          const rel = e.offset - base;
          // The local header's fixed 30 bytes (all that is read of it) are almost always inside this
          // chunk; when they straddle two, they are read on their own: through the block cache this
          // read 1-2 MiB more per chunk (the whole archive a second time, into fresh memory).
          const start = rel >= 0 && rel + 30 <= chunk.length ? dataStartFromLocalHeader(chunk, e.offset, rel) : dataStartFromLocalHeader(await reader.localHeader(e.offset), e.offset);
          const end = start + e.compressedSize;
          if (end > reader.size) throw new Error('entry data runs past the end of the file (truncated)');
          if (e.compressionMethod === 0 && e.compressedSize !== e.uncompressedSize) throw new Error('a stored entry whose sizes disagree');
          // A stored link too long to be one is refused here, as the verdict would refuse it, before
          // its data is collected whole (up to the per-entry limit: gigabytes from a hostile archive).
          if (isLink(it) && e.compressionMethod === 0 && e.uncompressedSize > 4096) throw linkTooLong(display, it.name, e.uncompressedSize);
          // Most small entries lie wholly in the chunk: checked right here, no state kept.
          if (start >= base && end <= limit && (e.compressionMethod === 0 || (e.compressedSize <= SMALL_ENTRY && e.uncompressedSize <= 8 * SMALL_ENTRY))) {
            k++;
            if (jobs && e.compressionMethod === 8 && !isLink(it)) jobs.push({ it, at: k - 1, start: start - base, end: end - base });
            else whole(it, chunk.subarray(start - base, end - base));
            at = end - base;
            continue;
          }
          cur = open(it, start, apart.has(k));
        } catch (err) {
          throw damaged(it, err);
        }
      }
      const c = cur;
      at = Math.max(at, c.start - base);
      if (at >= chunk.length && c.end > c.start) return;
      const take = Math.min(chunk.length - at, c.end - (base + at));
      try {
        if (take > 0) feed(c, chunk.subarray(at, at + take));
        at += Math.max(0, take);
        if (base + at >= c.end) {
          cur = undefined;
          k++;
          finish(c);
        }
      } catch (e) {
        throw damaged(c.it, e);
      }
    }
  };
  // Large deflated entries are inflated from reads of their own (inflatedApart), started now,
  // beside the pass (two at a time, in file order); the pass hashes their bytes and skips them.
  // Inflated as the pass reached them, one near the archive's end (the JS-like mix's 32 MiB of
  // text, 351 KB deflated, at 98 % of the file) ran alone for the last ~100 ms while both threads
  // waited. Same checks and words as in the pass; the identity check at the end of verifyBackup
  // holds both reads to one unchanged file.
  const apart = new Set<number>();
  for (let i = 0; i < order.length; i++) if (order[i]!.compressionMethod === 8 && !isSmall(order[i]!)) apart.add(i);
  let abandon = false;
  // The pass's file (its descriptor's device and inode): each read apart opens the path again, and
  // must find that very file there (a link on the way pointed elsewhere and back would pass the
  // identity check at the end of verifyBackup, which stats the path).
  let same: FileKey | undefined;
  const apartDone = (async (): Promise<void> => {
    const list = [...apart];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < list.length) {
        const i = list[next++]!;
        // (a bad entry before it is what verify reports)
        const stop = (): boolean => abandon || (failed !== undefined && failed.at < i);
        if (stop()) return;
        const it = order[i]!;
        try {
          const r = await inflatedApart(reader, it, stop, (same ??= fileKey(reader.fd)));
          if (r) verdict(it, r.n, r.crc, undefined);
        } catch (e) {
          // (its read opened another file than the pass reads: in verifyBackup's words for a file replaced)
          fail(i, e instanceof NotTheSameFile ? new RefusedError(`${display} was changed or replaced while it was verified; verify it again once nothing writes to it.`) : damaged(it, e));
        }
      }
    };
    await Promise.all([lane(), lane()]);
  })();
  // Three buffers in turn: one being read, one being checked, and the one before it, whose bytes
  // a small entry straddling two chunks may still hold (an entry collected whole is at most
  // 1 MiB, less than a chunk). Reused, not allocated per read: fresh 4 MiB buffers cost page
  // faults (system time) and garbage.
  // With a hashing thread, the buffers are the ones it shares, and one is read into again only
  // after the thread hashed it.
  const bufs = pass.hasher.buffers ?? [0, 1, 2].map(() => Buffer.allocUnsafe(Math.min(passChunk(reader.size), reader.size)));
  const hashed: Promise<void>[] = bufs.map(() => Promise.resolve());
  const busy = bufs.map(() => false);
  let hashFailed = false;
  // Entry lists handed to the hashing thread and not answered yet, oldest first. Both threads
  // claim their entries from a shared counter (claimEntry): this thread checks some too whenever
  // it would otherwise wait (for a buffer, or at the end), so neither core idles while the other
  // still has entries to inflate; `mine` marks those checked here (counted here).
  const lists: { index: number; list: EntryList; jobs: Job[]; chunk: Buffer; mine: Uint8Array }[] = [];
  // Check here the unclaimed entries of the list in buffer `index` (of every open list, oldest first, when undefined).
  const help = (index?: number): void => {
    for (const o of lists) {
      if (index !== undefined && o.index !== index) continue;
      for (let t = failed === undefined ? claimEntry(o.list) : -1; t >= 0; t = failed === undefined ? claimEntry(o.list) : -1) {
        const j = o.jobs[t]!;
        o.mine[t] = 1;
        try {
          whole(j.it, o.chunk.subarray(j.start, j.end));
        } catch (e) {
          fail(j.at, damaged(j.it, e));
        }
      }
    }
  };
  // Hash a chunk (and have the hashing thread check its jobs); resolves when the buffer may be reused.
  const hand = (chunk: Buffer, index: number, jobs: Job[] | undefined): Promise<void> => {
    const list = jobs?.length ? entryList(jobs.length) : undefined;
    for (let t = 0; list && t < jobs!.length; t++) {
      const j = jobs![t]!;
      list[5 * t] = j.start;
      list[5 * t + 1] = j.end - j.start;
      list[5 * t + 2] = j.it.uncompressedSize;
      list[5 * t + 3] = j.it.crc32;
      list[5 * t + 4] = t;
    }
    const o = list ? { index, list, jobs: jobs!, chunk, mine: new Uint8Array(jobs!.length) } : undefined;
    if (o) lists.push(o);
    busy[index] = true;
    const settle = (): void => {
      busy[index] = false;
      if (o) lists.splice(lists.indexOf(o), 1);
    };
    return pass.hasher.update(chunk, index, list).then(
      (f) => {
        settle();
        for (let t = 0; o && t < jobs!.length; t++) if (!o.mine[t]) onEntry(jobs![t]!.it.uncompressedSize);
        if (f) fail(jobs![f.tag]!.at, f.crc ? crcMismatch(jobs![f.tag]!.it) : damaged(jobs![f.tag]!.it, new Error(f.message)));
      },
      () => {
        settle();
        hashFailed = true;
        // The thread is gone: the entries handed to it are checked here (the buffer still holds them).
        for (const [t, j] of (jobs ?? []).entries()) {
          if (o?.mine[t]) continue;
          try {
            whole(j.it, chunk.subarray(j.start, j.end));
          } catch (e) {
            fail(j.at, damaged(j.it, e));
            break;
          }
        }
      },
    );
  };
  let turn = 0;
  const read = async (pos: number, index: number): Promise<{ chunk: Buffer; index: number }> => {
    await hashed[index];
    const buf = bufs[index]!;
    const n = await reader.readInto(buf, pos, Math.min(buf.length, reader.size - pos));
    return { chunk: buf.subarray(0, n), index };
  };
  let pos = 0;
  let next = reader.size > 0 ? read(0, turn++ % bufs.length) : undefined;
  try {
    while (next) {
      const { chunk, index } = await next;
      if (chunk.length === 0) break;
      const base = pos;
      pos += chunk.length;
      // The next read runs while this chunk is checked here; then it is hashed (on the hashing
      // thread, when there is one, together with its small deflated entries).
      const nextIndex = turn++ % bufs.length;
      next = pos < reader.size ? read(pos, nextIndex) : undefined;
      next?.catch(() => undefined);
      const jobs = pass.hasher.inflates ? [] : undefined;
      pass.hasher.hashAhead?.(chunk, index);
      // Checking stops at the first bad entry, but only once it is the pass's own: one found bad
      // apart (a large deflated entry, inflated from a read of its own, can fail long before the
      // pass reaches it) leaves the entries before it to be checked, the first of them bad named.
      if (failed === undefined || k < failed.at) {
        try {
          await check(chunk, base, jobs);
        } catch (e) {
          fail(checking, e);
        }
      }
      hashed[index] = hand(chunk, index, jobs);
      // Every buffer is with the hashing thread: the caller's other checks (the manifest) may run
      // now; once they are done, this thread checks entries of the oldest list instead of waiting.
      if (next && busy[nextIndex]) {
        turns.handedOut();
        if (turns.free()) help(nextIndex);
      }
    }
  } catch (e) {
    // (a read of the pass failed: what is checked apart stops, and has stopped before the caller closes the file)
    abandon = true;
    await apartDone;
    throw e;
  } finally {
    turns.handedOut();
  }
  // The other checks first (the hashing thread inflates meanwhile), then this thread takes what
  // the hashing thread has not claimed yet.
  await turns.othersDone;
  help();
  await Promise.all(hashed);
  await apartDone;
  // When the hashing thread failed, the caller hashes the file again (a second read) instead.
  pass.done = pos === reader.size && !hashFailed;
  if (failed !== undefined) {
    throw failed.e;
  }
  if (cur || k < order.length) {
    const it = cur?.it ?? order[k]!;
    throw damaged(it, new Error('entry data runs past the end of the file (truncated)'));
  }
  return targets;
}

/**
 * A large deflated entry inflated apart from onePass's pass (copyLarge's piece by piece inflate into
 * reused buffers, yielding between pieces, from a read of its own): its size and CRC-32, held to
 * its declared size as it inflates; undefined once `stop` says so. (zlib's stream on the thread
 * pool cost a fresh 1 MiB buffer per piece, ~8k page faults for the mix's 32 MiB of text, and
 * stalled whenever this thread was busy with the pass: each piece waited for its callback here.)
 */
async function inflatedApart(reader: ZipReader, e: ZipEntry, stop: () => boolean, same: FileKey): Promise<{ n: number; crc: number } | undefined> {
  const start = await reader.dataStart(e);
  const stopped = new Error('stopped');
  try {
    const large: LargeEntry = { start, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, method: 8 };
    const r = await copyLarge(
      reader.path,
      large,
      undefined,
      () => {
        if (stop()) throw stopped;
      },
      { sha256: false, sameFileAs: same },
    );
    return { n: r.n, crc: r.crc };
  } catch (err) {
    if (err === stopped) return undefined;
    throw err;
  }
}

/** Device and inode of the open file `fd`. */
function fileKey(fd: number): FileKey {
  const s = fstatSync(fd, { bigint: true });
  return { dev: s.dev, ino: s.ino };
}

/** A read pass's shared entry table of `order` (in file order), or undefined when an entry is not small (the streaming pass takes it). */
function entryTable(reader: ZipReader, order: ZipItem[]): PassShare | undefined {
  const n = order.length;
  const share = passShare(reader.fd, reader.size, n);
  const table = share.table;
  for (let t = 0, j = 0; t < n; t++, j += FIELDS) {
    const it = order[t]!;
    const e = it;
    if (!isSmall(e)) return undefined;
    table[j] = e.offset;
    table[j + 1] = e.compressedSize;
    table[j + 2] = e.uncompressedSize;
    table[j + 3] = e.crc32;
    table[j + 4] = (e.compressionMethod === 8 ? DEFLATED : 0) | (isLink(it) ? LINK : 0);
  }
  return share;
}

/**
 * onePass for an archive whose entries are all small (src/backup/read-pass.ts): the hashing thread
 * reads and hashes the whole file itself, checking the entries it claims from the front, from the
 * moment it has the entry table; this thread checks the manifest meanwhile, then claims entries
 * from the back until the two meet. The checks and their words are onePass's; the first bad
 * entry in file order is reported, whichever thread found it.
 */
async function readPassRun(order: ZipItem[], share: PassShare, display: string, pass: OnePass, onEntry: (bytes: number) => void, turns: PassTurns): Promise<Map<string, string>> {
  const run = pass.hasher.readPass!(share);
  run.catch(() => undefined);
  // The manifest's checks may run now: the other core reads and checks meanwhile.
  turns.handedOut();
  // Progress: the entries the hashing thread checked (a prefix), counted here when this thread has a turn.
  let counted = 0;
  const count = (): void => {
    for (const upto = Atomics.load(share.state, 0); counted < upto; counted++) onEntry(order[counted]!.uncompressedSize);
  };
  const tick = setInterval(count, 100);
  tick.unref();
  const mine = (t: number): void => onEntry(order[t]!.uncompressedSize);
  const fails: EntryFailureAt[] = [];
  const targets = new Map<string, string>();
  const take = (r: { fail?: EntryFailureAt; targets: [number, string][] }): void => {
    if (r.fail) fails.push(r.fail);
    for (const [t, target] of r.targets) targets.set(order[t]!.name, target);
  };
  let hashed = false;
  try {
    // The archive refused already (its names, its manifest): what the entries hold no longer
    // matters, only the hash. Every entry is claimed here unchecked, so that the hashing thread
    // stops checking at its next one (then reads and hashes the rest), and so does backPass.
    if (await turns.othersDone) for (let t = share.claims.length - 1; t >= 0; t--) Atomics.compareExchange(share.claims, t, 0, 2);
    take(backPass(share, sharedInflater(), mine, pass.read));
    try {
      const report = await run;
      take(report);
      hashed = report.hashed;
    } catch {
      // The thread died (or could not read): every entry it may not have checked is checked here,
      // and the caller hashes the file again.
      take(catchUpPass(share, sharedInflater(), mine, pass.read));
    }
  } catch (e) {
    // The hashing thread reads through this thread's descriptor, which the caller closes once this
    // settles: a read that failed here must not close it under the thread's reads (or hand its
    // number to the next file opened).
    await run.catch(() => undefined);
    throw e;
  } finally {
    clearInterval(tick);
  }
  pass.done = hashed;
  if (fails.length > 0) {
    const f = fails.reduce((a, b) => (b.t < a.t ? b : a));
    const it = order[f.t]!;
    if (f.kind === 'damaged') throw entryDamaged(display, it.name, new Error(f.message));
    if (f.kind === 'crc') throw crcMismatchOf(display, it.name);
    if (f.kind === 'link-size') throw linkTooLong(display, it.name, it.uncompressedSize);
    throw linkCrcMismatch(display, it.name);
  }
  count();
  return targets;
}

/** A small deflated entry handed to the hashing thread: where its bytes lie in the chunk. */
interface Job {
  it: ZipItem;
  /** Its index in file order. */
  at: number;
  start: number;
  end: number;
}

/** The manifest of a backup, read without checking the rest (for tools and benchmarks; restore checks everything). */
export async function readBackupManifest(path: string, display = path): Promise<Manifest> {
  const reader = await ZipReader.open(path);
  try {
    const entries = await allEntries(reader, display, DEFAULT_LIMITS);
    const m = entries.find((e) => e.name === MANIFEST_NAME);
    if (!m) throw new RefusedError(`${display} has no ${MANIFEST_NAME}.`);
    return await parseManifest(JSON.parse((await reader.small(m)).toString('utf8')));
  } finally {
    await reader.close();
  }
}


/** How verify hashes an archive of `bytes` bytes: on a second thread when large (and a thread can be started). */
export function archiveHasher(bytes: number): ArchiveHasher {
  if (bytes < HASH_THREAD_FROM) {
    discardHashThread();
    return inlineHasher();
  }
  try {
    return threadHasher(3, passChunk(bytes), { readPass: true });
  } catch {
    return inlineHasher();
  }
}

/** Verify one backup: .sha256, structure, every entry. Refuses (exit 3) with one sentence. */
export async function verifyBackup(
  path: string,
  opts: { ws: Workspace; limits?: ArchiveLimits; onProgress?: (p: ScanProgress) => void; expectEnv?: string; scope?: (env: string) => BackupScope; hasher?: (archiveBytes: number) => ArchiveHasher; passRead?: ReadFn },
): Promise<VerifyResult> {
  const started = Date.now();
  const display = wsRelative(opts.ws, path);
  if (!existsSync(path)) throw new UsageError(`${display}: backup not found.`);
  // Taken before the checksum file and the archive are read (see VerifyResult.identity).
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`${display} is not a file.`);
  const cs = readChecksumFile(path, display);
  // One read: the scan hashes the archive as it checks the entries (onePass). When the scan
  // refuses the archive before (or during) that pass, the hash is taken on its own, so that a
  // corrupt file is reported as such.
  const pass: OnePass = { hasher: (opts.hasher ?? archiveHasher)(st.size), done: false, ...(opts.passRead ? { read: opts.passRead } : {}) };
  let manifest: Manifest | undefined;
  let scanError: unknown;
  let actual: string | undefined;
  try {
    manifest = await scanArchive(path, display, {
      // Default: the workspace's runbook says what a backup of the manifest's environment may hold.
      // (loaded here: it parses the runbook with yaml, which a rollback that brings its scope never needs)
      scope: opts.scope ?? (await (await import('./workspace-scope.js')).workspaceScope(opts.ws)),
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      pass,
    });
  } catch (e) {
    scanError = e;
  }
  try {
    if (pass.done) actual = await pass.hasher.digest().catch(() => undefined);
  } finally {
    // Not awaited: the hashing thread's teardown (~9 ms) runs on the other core beside the rest.
    pass.hasher.close().catch(() => undefined);
  }
  try {
    // The pass did not reach the end, or the hashing thread failed: hash the file on its own.
    actual ??= await sha256File(path);
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
  // The hash and the entries' checks may come from different reads of the file (the manifest is
  // read on its own, and a read pass checks some entries from a read of its own beside the hashing
  // thread's): a file written to or replaced while they ran could pass with bytes the hash never
  // saw. Such a file has another identity now (its mtime and ctime move with any write), so the
  // result stands only for the very file that was there, unchanged, from start to end.
  let end: Stats;
  try {
    end = statSync(path);
  } catch (e) {
    throw new RefusedError(`${display} was removed or became unreadable while it was verified (${short((e as Error).message)}); nothing can be said of it.`);
  }
  if (fileIdentity(end) !== fileIdentity(st)) throw new RefusedError(`${display} was changed or replaced while it was verified; verify it again once nothing writes to it.`);
  const { entries, ...rest } = m;
  return { ok: true, path, file: display, sha256: actual, archiveBytes: end.size, manifest: rest, entries: entries.length, durationMs: Date.now() - started, identity: fileIdentity(st) };
}

/** The newest backup of `env` by name (as `ls | sort -r | head -n1`), or a usage error. */
export function latestBackupOrFail(ws: Workspace, env: string): string {
  const n = listBackups(ws.backupsDir, env)[0];
  if (!n) throw new UsageError(`No backups of ${env} in ${wsRelative(ws, ws.backupsDir)}/ (take one: rollout backup --env ${env}).`);
  return join(ws.backupsDir, n);
}

/** The newest backup of `env` that verifies; refusals of newer ones are returned for the log. */
export async function newestVerifiedBackup(ws: Workspace, env: string, limits?: ArchiveLimits, scope?: (env: string) => BackupScope): Promise<{ result: VerifyResult; skipped: { file: string; reason: string }[] }> {
  const skipped: { file: string; reason: string }[] = [];
  for (const n of listBackups(ws.backupsDir, env)) {
    const p = join(ws.backupsDir, n);
    try {
      return { result: await verifyBackup(p, { ws, expectEnv: env, ...(limits ? { limits } : {}), ...(scope ? { scope } : {}) }), skipped };
    } catch (e) {
      if (!(e instanceof RefusedError)) throw e;
      skipped.push({ file: wsRelative(ws, p), reason: e.message });
    }
  }
  if (skipped.length === 0) throw new UsageError(`No backups of ${env} in ${wsRelative(ws, ws.backupsDir)}/ (take one: rollout backup --env ${env}).`);
  throw new RefusedError(`None of the ${skipped.length} backups of ${env} verifies (newest: ${skipped[0]!.reason.replace(/\.$/, '')}).`);
}
