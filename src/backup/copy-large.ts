// A large (streamed) entry of a restore copied to its file, its size, CRC-32 and SHA-256 taken on
// the way; the caller holds them to the central directory and the manifest. Run by the restore's
// own thread, or by its file-creating thread (src/backup/write-worker.ts), where the hashing and
// copying of the large files then run beside the small files' inflate and checks.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { dirname } from 'node:path';
import { mkdirReal } from '../domain/io-errors.js';
import { PieceInflater } from './inflate.js';

/** Where a large entry's data lies in the archive, and what it declares. */
export interface LargeEntry {
  /** Offset of its data (after the local header). */
  start: number;
  compressedSize: number;
  uncompressedSize: number;
  /** 0 stored, 8 deflated. */
  method: number;
}

/** What was copied: byte count, CRC-32 and SHA-256 (hex) of the inflated data. */
export interface Copied {
  n: number;
  crc: number;
  sha256: string;
}

// Chunk of a large entry's copy: two to three buffers of it per large entry being restored.
const COPY_CHUNK = 1024 * 1024;

/** The file opened at a path is not the one the caller reads it as (sameFileAs of copyLarge). */
export class NotTheSameFile extends Error {}

/** Device and inode of a file (bigint: an inode number may pass 2^53). */
export interface FileKey {
  dev: bigint;
  ino: bigint;
}

/** Throws NotTheSameFile unless `fh` is the file `same` names (when given). */
async function holdTo(fh: FileHandle, zipPath: string, same: FileKey | undefined): Promise<void> {
  if (!same) return;
  const s = await fh.stat({ bigint: true });
  if (s.dev !== same.dev || s.ino !== same.ino) throw new NotTheSameFile(`${zipPath} now names another file than the one being read`);
}

/**
 * Copy entry `e` of the archive at `zipPath` to `dest` (created exclusively with its mode, its
 * folder made; undefined: only checked). Throws the first read, inflate or write error as it is
 * (the caller tells the archive's fault from the disk's), or what `onBytes` throws. `sha256: false`:
 * no SHA-256 is taken (verify, whose archive hash pins every byte); the result's is then ''.
 * `sameFileAs`: the file opened at `zipPath` must be that one (device and inode), else
 * NotTheSameFile: the path, or a link on the way to it, may have been pointed elsewhere since the
 * caller opened it, and pointed back before any later stat of the path could tell.
 */
export async function copyLarge(zipPath: string, e: LargeEntry, dest: { path: string; mode: number } | undefined, onBytes: (n: number) => void, opts: { sha256?: false; sameFileAs?: FileKey } = {}): Promise<Copied> {
  const h = opts.sha256 === false ? undefined : createHash('sha256');
  let crc = 0;
  let n = 0;
  const take = (chunk: Buffer): void => {
    n += chunk.length;
    h?.update(chunk);
    crc = crc32(chunk, crc);
    onBytes(chunk.length);
  };
  // As mkdir -p, but a read-only or full parent says so (EROFS, ENOSPC), not ENOENT.
  if (dest) mkdirReal(dirname(dest.path));
  const inflater = e.method === 0 ? undefined : PieceInflater.open();
  if (e.method === 0 || inflater) {
    const fh = await open(zipPath, 'r');
    let out: FileHandle | undefined;
    let write: Writer | undefined;
    try {
      await holdTo(fh, zipPath, opts.sameFileAs);
      out = dest ? await open(dest.path, 'wx', dest.mode) : undefined;
      write = out && dest ? behindWriter(out, dest.path) : undefined;
      try {
        if (inflater) await copyDeflated(fh, e, inflater, take, write);
        else await copyStored(fh, e, take, write);
        await write?.drain();
      } catch (err) {
        // The write running behind failed first (a full disk) when it failed at all: that is what
        // went wrong, as when each piece was written before the next was read. And no write of
        // ours may still run when the file is closed.
        throw (await write?.settled()) ?? err;
      }
    } finally {
      inflater?.close();
      await out?.close();
      await fh.close();
    }
  } else {
    // (this Node's zlib internals are not the expected ones: its streams, a fresh buffer per chunk)
    const declared = e.uncompressedSize;
    const tap = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _e, cb: TransformCallback) {
        if (n + chunk.length > declared) return cb(new Error('it inflates to more bytes than it declares'));
        try {
          take(chunk);
        } catch (err) {
          // (what onBytes throws ends the copy as an error, not from inside the stream)
          return cb(err as Error);
        }
        cb(null, chunk);
      },
    });
    let raw: ReturnType<typeof createReadStream>;
    if (opts.sameFileAs) {
      const fh = await open(zipPath, 'r');
      try {
        await holdTo(fh, zipPath, opts.sameFileAs);
      } catch (err) {
        await fh.close();
        throw err;
      }
      // (closed by the stream when it ends or fails)
      raw = fh.createReadStream({ start: e.start, end: e.start + e.compressedSize - 1, highWaterMark: 1 << 20 });
    } else raw = createReadStream(zipPath, { start: e.start, end: e.start + e.compressedSize - 1, highWaterMark: 1 << 20 });
    const inflate = createInflateRaw({ chunkSize: 1 << 20 });
    const out = dest ? createWriteStream(dest.path, { flags: 'wx', mode: dest.mode, highWaterMark: 1 << 20 }) : new Writable({ highWaterMark: 1 << 20, write: (_c, _e, cb) => cb() });
    // A failed write (ENOSPC) names no file: say which (registered before pipeline's own listener).
    if (dest) out.on('error', (err: NodeJS.ErrnoException) => void (err.path ??= dest.path));
    await pipeline(raw, inflate, tap, out);
    // zlib's stream ends quietly at the deflate stream's end and drops what follows it; the piece
    // by piece inflate refuses that, and so does this (bytesWritten: the input zlib consumed).
    if (inflate.bytesWritten < e.compressedSize) throw new Error(`its deflate stream ends ${e.compressedSize - inflate.bytesWritten} bytes before its data does`);
  }
  return { n, crc, sha256: h ? h.digest('hex') : '' };
}

/**
 * The compressed bytes [e.start, e.start + e.compressedSize) of the archive, handed to `each` in
 * chunks of up to COPY_CHUNK read into `count` reused buffers in turn: the next chunk is read while
 * `each` works on this one, into the buffer of the chunk `count` - 1 before it (so with 3, a chunk
 * may still be in use, e.g. being written, until `each` of the chunk after it settled). At least
 * one call, the last with `last` set (an empty chunk when there are no bytes).
 */
async function eachChunk(fh: FileHandle, e: LargeEntry, each: (chunk: Buffer, last: boolean) => Promise<void>, count = 2): Promise<void> {
  const total = e.compressedSize;
  const bufs = Array.from({ length: count }, () => Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(1, total))));
  const readChunk = async (k: number, pos: number): Promise<Buffer> => {
    const want = Math.min(COPY_CHUNK, total - pos);
    const buf = bufs[k % count]!;
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, e.start + pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < want) throw new Error('entry data is cut short (truncated)');
    return buf.subarray(0, got);
  };
  if (total === 0) return each(Buffer.alloc(0), true);
  let pos = 0;
  let pending: Promise<Buffer> | undefined = readChunk(0, 0);
  for (let k = 0; pending; k++) {
    const chunk = await pending;
    pos += chunk.length;
    // Reads into the other buffer, whose chunk `each` finished with in the previous round.
    pending = pos < total ? readChunk(k + 1, pos) : undefined;
    // A rejected read-ahead is awaited in the next round; until then, keep it from being "unhandled".
    pending?.catch(() => undefined);
    await each(chunk, pending === undefined);
  }
}

/**
 * Writes pieces to a file in order, one write running behind the caller: put() waits for the
 * previous piece's write, starts this one's and returns, so that the next piece is read, inflated
 * and hashed on this thread while the kernel copies this one into the page cache on the thread
 * pool (on this machine most of a large restore's time: a fresh page-cache page faults in from the
 * hypervisor, ~10-14 us per 4 KiB, see WRITE_PIECE). A piece passed to put() must stay unchanged until the next
 * put() (or drain) returned. A failed write (ENOSPC names no file) names `path`, and is thrown by
 * the next put() or by drain().
 */
interface Writer {
  put(data: Buffer): Promise<void>;
  /** Resolves when every piece is written; throws the first failure. */
  drain(): Promise<void>;
  /** Resolves when no write is running: to the failure of the last one, or undefined (never throws). */
  settled(): Promise<unknown>;
}

// Each write(2) of a large file at most this long, as unzip's: the kernel sizes a page-cache folio
// by the write, and on this machine the high-order pages a 1 MiB write's folios take are mostly
// ones the guest gave back to the hypervisor (faulted in again at first touch), while small folios
// often come from pages freed recently. 256 MiB with `dd`, same minutes: 0.05-0.07 s of system time
// in 64 KiB writes against 0.37-0.77 s in 1 MiB writes (when no recently freed pages are left,
// both cost 0.7-1.0 s, the small ones ~0.3 s more).
const WRITE_PIECE = 64 * 1024;

/** The Writer of `out` (whose failures name `path`). */
function behindWriter(out: FileHandle, path: string): Writer {
  let last: Promise<void> = Promise.resolve();
  let pos = 0;
  const writePiece = async (data: Buffer, at: number): Promise<void> => {
    for (let off = 0; off < data.length; ) off += (await out.write(data, off, data.length - off, at + off)).bytesWritten;
  };
  // The pieces of one put go to the thread pool together (positional writes: one round trip per
  // piece in turn cost this thread more than the piece itself); all have settled before it returns.
  const writeAll = async (data: Buffer): Promise<void> => {
    const at = pos;
    pos += data.length;
    const pieces: Promise<void>[] = [];
    for (let off = 0; off < data.length; off += WRITE_PIECE) pieces.push(writePiece(data.subarray(off, Math.min(off + WRITE_PIECE, data.length)), at + off));
    const failed = (await Promise.allSettled(pieces)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const err = failed.reason as NodeJS.ErrnoException;
      err.path ??= path;
      throw err;
    }
  };
  return {
    async put(data) {
      await last;
      last = writeAll(data);
      // Awaited by the next put() or drain(); until then it must not count as unhandled.
      last.catch(() => undefined);
    },
    drain: () => last,
    settled: () => last.then(() => undefined, (err: unknown) => err),
  };
}

/**
 * A large stored entry (backups store incompressible files) copied through three reused buffers.
 * Streams allocated a fresh 1 MiB buffer per chunk, and the page faults of that churn were a good
 * part of a restore's system time (27k faults at 96 MiB of large files). `write` absent: the bytes
 * are only checked.
 */
async function copyStored(fh: FileHandle, e: LargeEntry, check: (chunk: Buffer) => void, write: Writer | undefined): Promise<void> {
  // Three read buffers: one being read, one being checked, and the one before it being written
  // (its write is waited for by this chunk's put, before the next read reuses its buffer).
  await eachChunk(
    fh,
    e,
    async (chunk) => {
      check(chunk);
      if (write) await write.put(chunk);
    },
    write ? 3 : 2,
  );
}

/**
 * A large deflated entry inflated piece by piece (src/backup/inflate.ts's PieceInflater) from two
 * reused input buffers into two reused output buffers, each piece checked, then written while the
 * next is inflated: no fresh buffer per chunk (zlib's streams faulted in a 32 MiB entry's every
 * page, ~10k faults with the read stream's). Refuses a stream that is cut short, invalid, ends
 * before its data does, or inflates past its declared size (it is given declared + 1 bytes of room).
 */
async function copyDeflated(fh: FileHandle, e: LargeEntry, inf: PieceInflater, check: (chunk: Buffer) => void, write: Writer | undefined): Promise<void> {
  const declared = e.uncompressedSize;
  // Two output buffers in turn: a piece is inflated into one while the other's is being written.
  const rooms = [Buffer.allocUnsafe(Math.min(COPY_CHUNK, declared + 1)), ...(write ? [Buffer.allocUnsafe(Math.min(COPY_CHUNK, declared + 1))] : [])];
  let turn = 0;
  let n = 0;
  await eachChunk(fh, e, async (chunk, last) => {
    let off = 0;
    for (;;) {
      // (the other one's piece may be being written; this one's was waited for by that piece's put)
      const room = rooms[turn % rooms.length]!;
      const want = Math.min(room.length, declared + 1 - n);
      const r = inf.step(chunk, off, chunk.length - off, room, want, last);
      if (!r.ok) throw new Error(r.message);
      off = chunk.length - r.inLeft;
      if (r.produced > 0) {
        if (n + r.produced > declared) throw new Error('it inflates to more bytes than it declares');
        n += r.produced;
        const piece = room.subarray(0, r.produced);
        check(piece);
        if (write) await write.put(piece);
        // (only checked: the other work of this thread runs between the pieces)
        else await new Promise<void>((r) => setImmediate(r));
        turn++;
      }
      // The room was filled: more output may come from the same input.
      if (r.produced === want) continue;
      // Room to spare: zlib took all the input it could; any left means the stream has ended.
      if (off < chunk.length) throw new Error(`its deflate stream ends ${chunk.length - off} bytes before its data does`);
      return;
    }
  });
}
