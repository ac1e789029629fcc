// The zip adapter: every use of yauzl (reading) lives in this file, and so does every reliance on
// its internals (a RandomAccessReader subclass, ZipFile.readEntryCursor, getFileNameLowLevel), which
// test/backup/zip.test.ts checks so that an upgrade that changes them fails loudly. Archives are
// written by our own small writer below (why: see "Writing").
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { PassThrough, type Readable } from 'node:stream';
import { crc32 as zlibCrc32, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRaw } from 'node:zlib';
import { sharedInflater } from './inflate.js';
import { dataStartFromLocalHeader, u16, u32 } from './zip-fields.js';
import yauzl from 'yauzl';

const inflateRawAsync = promisify(inflateRaw);

// ---------------------------------------------------------------------------------------------
// Writing
//
// Our own writer, not yazl: yazl's pumpEntries() rescans its entry list from the start after every
// entry (O(n^2): 10 s of 48 s at 50k files) and deflates every small buffer through an async zlib
// stream set up per file on the thread pool (most of the rest). Writing a zip is a few fixed
// records (APPNOTE 6.3.x, the subset yazl writes, with ZIP64 when counts or offsets need it); the
// reading side stays yauzl, and the tests hold our archives to yauzl, our verify and `unzip -t`.

/** Options of one entry written. */
export interface ZipEntryOptions {
  /** A Date, or ms since the epoch. */
  mtime: Date | number;
  /** The full st_mode (type bits and permissions). */
  mode: number;
  /** Deflate it (default: true). */
  compress?: boolean;
}

const U32 = 0xffffffff;
const VERSION_MADE_BY = (3 << 8) | 63; // unix, APPNOTE 6.3
const FLAG_UTF8 = 0x800;
const FLAG_DESCRIPTOR = 0x8;
const OUT_CHUNK = 1 << 20;

function dosDateTime(t: Date | number): { date: number; time: number } {
  const d = typeof t === 'number' ? new Date(t) : t;
  const y = Math.min(2107, Math.max(1980, d.getFullYear()));
  return {
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

/** Grows in 1 MiB blocks: the central directory of 200k entries without 200k small Buffers. */
class ByteList {
  readonly blocks: Buffer[] = [];
  private cur = Buffer.allocUnsafe(0);
  private used = 0;
  length = 0;
  /** Room for `n` bytes; returns the buffer and offset to write them at. */
  reserve(n: number): [Buffer, number] {
    if (this.used + n > this.cur.length) {
      if (this.used > 0) this.blocks.push(this.cur.subarray(0, this.used));
      this.cur = Buffer.allocUnsafe(Math.max(OUT_CHUNK, n));
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    this.length += n;
    return [this.cur, at];
  }
  /** Every byte, in blocks. */
  all(): Buffer[] {
    return this.used > 0 ? [...this.blocks, this.cur.subarray(0, this.used)] : this.blocks;
  }
}

/**
 * A streaming zip writer: entries in order, each written once; the output goes to `sink` in
 * chunks of about 1 MiB (awaited, so memory stays flat), the central directory at the end.
 */
export class ZipWriter {
  private out = Buffer.allocUnsafe(OUT_CHUNK);
  private spare = Buffer.allocUnsafe(OUT_CHUNK);
  private used = 0;
  /** Bytes of the archive so far (including those not yet handed to the sink). */
  private offset = 0;
  private readonly central = new ByteList();
  private count = 0;
  private flushing: Promise<void> = Promise.resolve();

  /** `sink` receives the archive's bytes in order; it may keep the chunk. */
  constructor(private readonly sink: (chunk: Buffer) => Promise<void>) {}

  /** Bytes written so far. */
  get bytes(): number {
    return this.offset;
  }

  private async put(b: Buffer): Promise<void> {
    if (this.used + b.length > this.out.length) await this.flush();
    if (b.length >= this.out.length) {
      await this.hand(b);
    } else {
      b.copy(this.out, this.used);
      this.used += b.length;
    }
    this.offset += b.length;
  }

  private async hand(chunk: Buffer): Promise<void> {
    // One chunk on its way to the sink while the next fills: disk and CPU overlap.
    await this.flushing;
    this.flushing = this.sink(chunk);
    this.flushing.catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.out.subarray(0, this.used);
    // Two output buffers in turn: the one the sink is writing, and the one being filled. hand()
    // waits for the previous write before giving the sink another, so a buffer comes back only
    // after its bytes were written (fresh 1 MiB buffers per flush piled up as garbage: RSS).
    [this.out, this.spare] = [this.spare, this.out];
    this.used = 0;
    await this.hand(chunk);
  }

  private localHeader(name: Buffer, flags: number, method: number, dt: { date: number; time: number }, crc: number, csize: number, usize: number, zip64: boolean): Buffer {
    const extra = zip64 ? 20 : 0;
    const h = Buffer.allocUnsafe(30 + name.length + extra);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(zip64 ? 45 : 20, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(dt.time, 10);
    h.writeUInt16LE(dt.date, 12);
    h.writeUInt32LE(crc >>> 0, 14);
    h.writeUInt32LE(zip64 ? U32 : csize, 18);
    h.writeUInt32LE(zip64 ? U32 : usize, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(extra, 28);
    name.copy(h, 30);
    if (zip64) {
      h.writeUInt16LE(0x0001, 30 + name.length);
      h.writeUInt16LE(16, 32 + name.length);
      h.writeBigUInt64LE(BigInt(usize), 34 + name.length);
      h.writeBigUInt64LE(BigInt(csize), 42 + name.length);
    }
    return h;
  }

  private centralRecord(name: Buffer, flags: number, method: number, dt: { date: number; time: number }, crc: number, csize: number, usize: number, offset: number, attrs: number): void {
    const big = [usize >= U32, csize >= U32, offset >= U32];
    const extra = big.some(Boolean) ? 4 + 8 * big.filter(Boolean).length : 0;
    const [b, o] = this.central.reserve(46 + name.length + extra);
    b.writeUInt32LE(0x02014b50, o);
    b.writeUInt16LE(VERSION_MADE_BY, o + 4);
    b.writeUInt16LE(extra ? 45 : 20, o + 6);
    b.writeUInt16LE(flags, o + 8);
    b.writeUInt16LE(method, o + 10);
    b.writeUInt16LE(dt.time, o + 12);
    b.writeUInt16LE(dt.date, o + 14);
    b.writeUInt32LE(crc >>> 0, o + 16);
    b.writeUInt32LE(big[1] ? U32 : csize, o + 20);
    b.writeUInt32LE(big[0] ? U32 : usize, o + 24);
    b.writeUInt16LE(name.length, o + 28);
    b.writeUInt16LE(extra, o + 30);
    b.writeUInt16LE(0, o + 32); // comment
    b.writeUInt16LE(0, o + 34); // disk
    b.writeUInt16LE(0, o + 36); // internal attributes
    b.writeUInt32LE(attrs >>> 0, o + 38);
    b.writeUInt32LE(big[2] ? U32 : offset, o + 42);
    name.copy(b, o + 46);
    if (extra) {
      let at = o + 46 + name.length;
      b.writeUInt16LE(0x0001, at);
      b.writeUInt16LE(extra - 4, at + 2);
      at += 4;
      for (const [k, v] of [usize, csize, offset].entries()) {
        if (!big[k]) continue;
        b.writeBigUInt64LE(BigInt(v), at);
        at += 8;
      }
    }
    this.count++;
  }

  private static attrs(mode: number, dir: boolean): number {
    return ((mode & 0xffff) << 16) | (dir ? 0x10 : 0);
  }

  /** A folder entry (`path` without the trailing slash). */
  async addDirectory(path: string, opts: ZipEntryOptions): Promise<void> {
    const name = Buffer.from(`${path}/`);
    const dt = dosDateTime(opts.mtime);
    const offset = this.offset;
    await this.put(this.localHeader(name, FLAG_UTF8, 0, dt, 0, 0, 0, false));
    this.centralRecord(name, FLAG_UTF8, 0, dt, 0, 0, 0, offset, ZipWriter.attrs(opts.mode, true));
  }

  /**
   * An entry whose bytes are all in memory (a small file, a link target): CRC-32 and deflate on
   * this thread, sizes in the local header. Deflating a few KiB here costs less than a round trip
   * to the thread pool; it is stored instead when deflate does not make it smaller.
   */
  async addBuffer(data: Buffer, path: string, opts: ZipEntryOptions): Promise<void> {
    const crc = zlibCrc32(data);
    let body = data;
    let method: 0 | 8 = 0;
    if ((opts.compress ?? true) && data.length > 0) {
      // A window no larger than the data finds the same matches and needs far less memory per call
      // (about 40 KiB instead of 260 KiB for a 4 KiB file): less malloc churn, a flatter RSS.
      const windowBits = Math.max(9, Math.min(15, Math.ceil(Math.log2(data.length + 262))));
      const packed = deflateRawSync(data, { level: 6, windowBits, memLevel: Math.max(2, Math.min(8, windowBits - 6)) });
      if (packed.length < data.length) {
        body = packed;
        method = 8;
      }
    }
    await this.addPacked(path, opts, { crc, size: data.length, body, method });
  }

  /**
   * An entry packed beforehand (src/backup/pack.ts: CRC-32 and deflate done elsewhere): `body`
   * is the stored (method 0) or deflated (method 8) bytes of `size` bytes whose CRC-32 is `crc`.
   * The bytes are copied, so the caller may reuse `body`'s memory afterwards.
   */
  async addPacked(path: string, opts: Omit<ZipEntryOptions, 'compress'>, p: { crc: number; size: number; body: Uint8Array | readonly Uint8Array[]; method: 0 | 8 }): Promise<void> {
    const name = Buffer.from(path);
    const dt = dosDateTime(opts.mtime);
    const parts = (Array.isArray(p.body) ? p.body : [p.body]) as readonly Uint8Array[];
    const csize = parts.reduce((n, b) => n + b.length, 0);
    if (csize >= U32 || p.size >= U32) throw new Error(`${path} is too large for an entry packed in memory`);
    const offset = this.offset;
    await this.put(this.localHeader(name, FLAG_UTF8, p.method, dt, p.crc, csize, p.size, false));
    for (const part of parts) {
      const body = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.length);
      // put() hands a buffer this large to the sink as it is: a copy, since the caller may reuse it.
      await this.put(body.length >= this.out.length ? Buffer.from(body) : body);
    }
    this.centralRecord(name, FLAG_UTF8, p.method, dt, p.crc, csize, p.size, offset, ZipWriter.attrs(opts.mode, false));
  }

  /**
   * An entry streamed from `source` (a large file): CRC-32 and sizes follow the data in a data
   * descriptor. `sizeHint` picks ZIP64 records up front for entries that may pass 4 GiB.
   */
  async addStream(path: string, opts: ZipEntryOptions & { sizeHint: number }, source: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<{ size: number }> {
    const name = Buffer.from(path);
    const dt = dosDateTime(opts.mtime);
    const compress = opts.compress ?? true;
    const method = compress ? 8 : 0;
    const zip64 = opts.sizeHint >= U32 - 64 * 1024 * 1024;
    const flags = FLAG_UTF8 | FLAG_DESCRIPTOR;
    const offset = this.offset;
    await this.put(this.localHeader(name, flags, method, dt, 0, 0, 0, zip64));
    let crc = 0;
    let usize = 0;
    let csize = 0;
    if (!compress) {
      for await (const chunk of source) {
        crc = zlibCrc32(chunk, crc);
        usize += chunk.length;
        csize += chunk.length;
        await this.put(chunk);
      }
    } else {
      const deflate = createDeflateRaw({ level: 6, chunkSize: 1 << 20 });
      const pumped = (async () => {
        for await (const chunk of source) {
          crc = zlibCrc32(chunk, crc);
          usize += chunk.length;
          if (!deflate.write(chunk)) await once(deflate, 'drain');
        }
        deflate.end();
      })();
      pumped.catch((e: Error) => deflate.destroy(e));
      for await (const chunk of deflate as AsyncIterable<Buffer>) {
        csize += chunk.length;
        await this.put(chunk);
      }
      await pumped;
    }
    const needs64 = zip64 || usize >= U32 || csize >= U32;
    if (needs64 && !zip64) throw new Error(`${path} grew past 4 GiB while it was archived`);
    const d = Buffer.allocUnsafe(zip64 ? 24 : 16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(crc >>> 0, 4);
    if (zip64) {
      d.writeBigUInt64LE(BigInt(csize), 8);
      d.writeBigUInt64LE(BigInt(usize), 16);
    } else {
      d.writeUInt32LE(csize, 8);
      d.writeUInt32LE(usize, 12);
    }
    await this.put(d);
    this.centralRecord(name, flags, method, dt, crc, csize, usize, offset, ZipWriter.attrs(opts.mode, false));
    return { size: usize };
  }

  /** Write the central directory and the end records, and hand over the last bytes. */
  async end(): Promise<void> {
    const cdOffset = this.offset;
    for (const b of this.central.all()) await this.put(b);
    const cdSize = this.central.length;
    const zip64 = this.count >= 0xffff || cdOffset >= U32 || cdSize >= U32;
    if (zip64) {
      const rec = Buffer.alloc(56 + 20);
      const at = this.offset;
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(VERSION_MADE_BY, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(this.count), 24);
      rec.writeBigUInt64LE(BigInt(this.count), 32);
      rec.writeBigUInt64LE(BigInt(cdSize), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      rec.writeUInt32LE(0x07064b50, 56);
      rec.writeBigUInt64LE(BigInt(at), 64);
      rec.writeUInt32LE(1, 72);
      await this.put(rec);
    }
    const e = Buffer.alloc(22);
    e.writeUInt32LE(0x06054b50, 0);
    e.writeUInt16LE(Math.min(this.count, 0xffff), 8);
    e.writeUInt16LE(Math.min(this.count, 0xffff), 10);
    e.writeUInt32LE(Math.min(cdSize, U32), 12);
    e.writeUInt32LE(Math.min(cdOffset, U32), 16);
    await this.put(e);
    await this.flush();
    await this.flushing;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** One entry of the central directory, as the checks need it (yauzl's objects are not kept). */
export interface ZipEntry {
  /** The name, decoded strictly (no backslash conversion). */
  name: string;
  /** The name's length in bytes. */
  nameBytes: number;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Offset of its local header. */
  offset: number;
  encrypted: boolean;
  /** The unix file type bits (S_IFMT) when the entry was made on unix, else 0. */
  unixType: number;
}

const S_IFMT = 0o170000;

/** What of yauzl's internals this adapter relies on is missing from an opened ZipFile, or undefined. */
export function yauzlProblem(zf: yauzl.ZipFile): string | undefined {
  const z = zf as unknown as Record<string, unknown>;
  for (const k of ['readEntryCursor', 'entryCount', 'fileSize']) if (typeof z[k] !== 'number') return `yauzl's ZipFile.${k} is ${typeof z[k]}, not number`;
  if (typeof yauzl.getFileNameLowLevel !== 'function') return 'yauzl.getFileNameLowLevel is gone';
  const proto = yauzl.RandomAccessReader.prototype as unknown as Record<string, unknown>;
  for (const m of ['read', '_readStreamForRange', 'close']) if (typeof proto[m] !== 'function') return `yauzl.RandomAccessReader.prototype.${m} is gone`;
  return undefined;
}

/** The extra fields of a central-directory record, as yauzl's getFileNameLowLevel wants them. */
function extraFields(b: Buffer): { id: number; data: Buffer }[] {
  const out: { id: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 4 <= b.length) {
    const id = b.readUInt16LE(at);
    const len = b.readUInt16LE(at + 2);
    if (at + 4 + len > b.length) throw new Error('extra field length exceeds extra field buffer size');
    out.push({ id, data: b.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

const NO_EXTRAS: ReturnType<typeof extraFields> = [];

// (u16, u32 and dataStartFromLocalHeader live in zip-fields.ts: the hashing thread needs them without yauzl)
export { u16, u32, dataStartFromLocalHeader } from './zip-fields.js';

/** Whether bytes [from, to) of `b` are all ASCII (where UTF-8 and Latin-1 decode alike). */
function ascii(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! > 0x7f) return false;
  return true;
}

/**
 * One central-directory record at `at` of `b` (checked to be whole by the caller) as a ZipEntry;
 * yauzl's rules (3.x _readEntry). `text`, when given, is `b` decoded as Latin-1 (asked for once per
 * buffer): an ASCII name is a slice of it.
 */
function parseCentralRecord(b: Buffer, at: number, text?: () => string): ZipEntry {
  const sig = u32(b, at);
  if (sig !== 0x02014b50) throw new Error(`invalid central directory file header signature: 0x${sig.toString(16)}`);
  const versionMadeBy = u16(b, at + 4);
  const flags = u16(b, at + 8);
  if (flags & 0x40) throw new Error('strong encryption is not supported');
  const compressionMethod = u16(b, at + 10);
  const crc = u32(b, at + 16);
  let compressedSize = u32(b, at + 20);
  let uncompressedSize = u32(b, at + 24);
  const nameLen = u16(b, at + 28);
  const extraLen = u16(b, at + 30);
  const attrs = u32(b, at + 38);
  let offset = u32(b, at + 42);
  const extras = extraLen > 0 ? extraFields(b.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen)) : NO_EXTRAS;
  // (no find() on the usual empty list: its callback, a closure per record, was garbage to collect)
  const z64 = extras.length > 0 ? extras.find((f) => f.id === 0x0001) : undefined;
  if (z64) {
    let i = 0;
    const next = (what: string): number => {
      if (i + 8 > z64.data.length) throw new Error(`zip64 extended information extra field does not include ${what}`);
      const v = Number(z64.data.readBigUInt64LE(i));
      i += 8;
      return v;
    };
    if (uncompressedSize === U32) uncompressedSize = next('uncompressed size');
    if (compressedSize === U32) compressedSize = next('compressed size');
    if (offset === U32) offset = next('relative header offset');
  }
  const encrypted = (flags & 0x1) !== 0;
  if (compressionMethod === 0 && compressedSize !== uncompressedSize + (encrypted ? 12 : 0)) throw new Error(`compressed/uncompressed size mismatch for stored file: ${compressedSize} != ${uncompressedSize}`);
  // Names are decoded strictly (no backslash conversion), so that every name problem is reported in our words.
  let name: string;
  // (no subarray per record for the common case: a UTF-8 name without extra fields; when it is
  // ASCII, a slice of the buffer's text decoded once: Buffer#toString per name cost ~3 us of
  // per-call work, 30 ms of 10k records, and left a string copy each for the GC to move)
  if (flags & 0x800 && extras.length === 0) name = text && ascii(b, at + 46, at + 46 + nameLen) ? text().slice(at + 46, at + 46 + nameLen) : b.toString('utf8', at + 46, at + 46 + nameLen);
  else {
    const raw = b.subarray(at + 46, at + 46 + nameLen);
    try {
      name = yauzl.getFileNameLowLevel(flags, raw, extras, true);
    } catch {
      name = raw.toString('latin1');
    }
  }
  return {
    name,
    nameBytes: nameLen,
    compressionMethod,
    compressedSize,
    uncompressedSize,
    crc32: crc >>> 0,
    offset,
    encrypted,
    unixType: versionMadeBy >> 8 === 3 ? (attrs >>> 16) & S_IFMT : 0,
  };
}

/** A counting semaphore. */
class Slots {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.free++;
  }
}

const BLOCK = 1024 * 1024;
const CACHED_BLOCKS = 16;

/** Thrown when the central directory declares more entries than allowed. */
export class TooManyEntries extends Error {
  constructor(readonly count: number) {
    super(`more than ${count} entries`);
  }
}

/**
 * Random access to a zip file: yauzl finds the central directory (through our block cache),
 * entries() parses it; entry data is read here, not through yauzl's streams (yauzl reads 16 KiB at a time and
 * costs about 0.4 ms per entry): the local header, then the data with large positional reads.
 */
export class ZipReader {
  // A few recently read 1 MiB blocks: the central directory and runs of small entries are read
  // with one system call per block instead of one (or two) per entry.
  private blocks = new Map<number, Promise<Buffer>>();
  private zf: yauzl.ZipFile | undefined;
  /** Large entries streamed at once. */
  readonly bigSlot = new Slots(2);

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** Open a zip; throws (a plain Error) when it is truncated or no zip at all. */
  static async open(path: string): Promise<ZipReader> {
    const fh = await open(path, 'r');
    const r = new ZipReader(path, fh, (await fh.stat()).size);
    try {
      r.zf = await new Promise<yauzl.ZipFile>((resolve, reject) => {
        yauzl.fromRandomAccessReader(r.yauzlReader(), r.size, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false, strictFileNames: true }, (err, zf) => (err ? reject(err) : resolve(zf)));
      });
      // An upgrade that changed what entries() relies on fails every archive as "damaged" (and
      // test/backup/zip.test.ts), rather than letting one pass unchecked.
      const problem = yauzlProblem(r.zf);
      if (problem) throw new Error(`the zip reader does not understand this yauzl (${problem})`);
    } catch (e) {
      await fh.close();
      throw e;
    }
    return r;
  }

  /** The open file's descriptor (verify's hashing thread reads the same file through it: src/backup/read-pass.ts). */
  get fd(): number {
    return this.fh.fd;
  }

  /** The number of entries the end of central directory record declares. */
  get entryCount(): number {
    return this.zf!.entryCount;
  }

  /**
   * Every entry of the central directory, in its order; throws TooManyEntries past `max`. yauzl
   * found the central directory (the end records, ZIP64 included); its records are parsed here,
   * from 1 MiB reads, by the same rules as yauzl's readEntry(): yauzl reads each record with two
   * small reads and an event, about 0.35 s of the 1.9 s CPU of a 10k-file verify (test/backup/zip.test.ts
   * holds this parser to yauzl's on archives from our writer, yazl and Info-ZIP zip).
   */
  async entries(max: number): Promise<ZipEntry[]> {
    const count = this.entryCount;
    if (count > max) throw new TooManyEntries(max);
    const out: ZipEntry[] = [];
    let pos = (this.zf as unknown as { readEntryCursor: number }).readEntryCursor;
    let win: Buffer = Buffer.alloc(0);
    let winStart = pos;
    // Bytes [pos, pos + n) are in `win` afterwards, or the archive ends first (truncated).
    const need = async (n: number): Promise<void> => {
      const len = Math.min(Math.max(BLOCK, n), this.size - pos);
      win = len >= n ? await this.readDirect(pos, len) : Buffer.alloc(0);
      winStart = pos;
      if (win.length < n) throw new Error('unexpected EOF');
    };
    const has = (n: number): boolean => pos >= winStart && pos + n <= winStart + win.length;
    // The window as Latin-1 text, decoded when a record first asks (ASCII names are slices of it).
    let winText: string | undefined;
    let textOf: Buffer | undefined;
    const text = (): string => {
      if (textOf !== win) {
        textOf = win;
        winText = win.toString('latin1');
      }
      return winText!;
    };
    for (let k = 0; k < count; k++) {
      // Awaited only when the window must move: an await per record cost 0.25 s at 50k entries.
      if (!has(46)) await need(46);
      let at = pos - winStart;
      const whole = 46 + u16(win, at + 28) + u16(win, at + 30) + u16(win, at + 32);
      if (!has(whole)) await need(whole);
      at = pos - winStart;
      out.push(parseCentralRecord(win, at, text));
      pos += whole;
    }
    return out;
  }

  /** Close the file. */
  async close(): Promise<void> {
    this.zf?.close();
    await this.fh.close();
  }

  private block(n: number): Promise<Buffer> {
    let b = this.blocks.get(n);
    if (b) {
      this.blocks.delete(n);
      this.blocks.set(n, b);
      return b;
    }
    b = this.load(n);
    // Read ahead: entries are mostly visited in file order, so the next block is wanted soon.
    if ((n + 1) * BLOCK < this.size && !this.blocks.has(n + 1)) this.load(n + 1).catch(() => undefined);
    return b;
  }

  private load(n: number): Promise<Buffer> {
    const b = this.readDirect(n * BLOCK, Math.min(BLOCK, this.size - n * BLOCK));
    this.blocks.set(n, b);
    if (this.blocks.size > CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    return b;
  }

  /** Bytes [pos, pos+len) read straight from the file into `buf` (fewer at its end). */
  async readInto(buf: Buffer, pos: number, len: number): Promise<number> {
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(buf, got, len - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }

  private async readDirect(pos: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.max(0, len));
    const got = await this.readInto(buf, pos, len);
    return got === len ? buf : buf.subarray(0, got);
  }

  /** Bytes [pos, pos+len) (fewer at the end of the file); small reads come from the block cache. */
  async readAt(pos: number, len: number): Promise<Buffer> {
    len = Math.max(0, Math.min(len, this.size - pos));
    if (len > 2 * BLOCK) return this.readDirect(pos, len);
    const first = Math.floor(pos / BLOCK);
    const last = Math.floor((pos + Math.max(len, 1) - 1) / BLOCK);
    if (first === last) {
      const b = await this.block(first);
      return b.subarray(pos - first * BLOCK, pos - first * BLOCK + len);
    }
    // Only the bytes asked for are copied (concatenating the whole blocks copied 2 MiB for every
    // small entry that straddles two of them).
    const out = Buffer.allocUnsafe(len);
    let got = 0;
    for (let n = first; n <= last && got < len; n++) {
      const b = await this.block(n);
      const from = Math.max(0, pos + got - n * BLOCK);
      const take = Math.min(b.length - from, len - got);
      if (take <= 0) break;
      b.copy(out, got, from, from + take);
      got += take;
    }
    return got === len ? out : out.subarray(0, got);
  }

  /** A yauzl RandomAccessReader over the same cache, for the central directory. */
  private yauzlReader(): yauzl.RandomAccessReader {
    const r = new (yauzl.RandomAccessReader as unknown as new () => yauzl.RandomAccessReader)();
    r.read = (buffer, offset, length, position, cb) => {
      this.readAt(position, length).then(
        (b) => {
          b.copy(buffer, offset);
          (cb as (err: Error | null, n?: number) => void)(null, b.length);
        },
        (e: Error) => cb(e),
      );
    };
    r._readStreamForRange = (start, end) => {
      const out = new PassThrough();
      this.readAt(start, end - start).then(
        (b) => out.end(b),
        (e: Error) => out.destroy(e),
      );
      return out;
    };
    r.close = (cb) => cb(null);
    return r;
  }

  /** Where an entry's data starts, from its local header (and the data too when it is small). */
  private async locate(e: ZipEntry, withData: boolean): Promise<{ start: number; data?: Buffer }> {
    const off = e.offset;
    const guess = 30 + e.nameBytes + 1024;
    const head = await this.readAt(off, guess + (withData ? e.compressedSize : 0));
    const start = dataStartFromLocalHeader(head, off);
    if (start + e.compressedSize > this.size) throw new Error('entry data runs past the end of the file (truncated)');
    if (!withData) return { start };
    const rel = start - off;
    const data = rel + e.compressedSize <= head.length ? head.subarray(rel, rel + e.compressedSize) : await this.readAt(start, e.compressedSize);
    return { start, data };
  }

  /**
   * Offset of a (large) entry's data in the file, from its local header's 30 bytes read on their
   * own: through the block cache this read 2 MiB of the entry's data into fresh blocks (and their
   * page faults) that its copy then read again.
   */
  async dataStart(e: ZipEntry): Promise<number> {
    const start = dataStartFromLocalHeader(await this.localHeader(e.offset), e.offset);
    if (start + e.compressedSize > this.size) throw new Error('entry data runs past the end of the file (truncated)');
    return start;
  }

  /** A small entry's bytes as stored (deflated or not), exactly compressedSize of them; a view of the read cache, never to be written to. */
  async compressed(e: ZipEntry): Promise<Buffer> {
    const { data } = await this.locate(e, true);
    if (data!.length !== e.compressedSize) throw new Error('entry data is cut short (truncated)');
    return data!;
  }

  /** The 30 fixed bytes of the local header at `offset` (fewer at the end of the file), read on their own. */
  async localHeader(offset: number): Promise<Buffer> {
    const head = Buffer.alloc(Math.max(0, Math.min(30, this.size - offset)));
    return head.subarray(0, head.length > 0 ? await this.readInto(head, offset, head.length) : 0);
  }

  /**
   * An entry's bytes as stored, exactly compressedSize of them, read straight from the file into
   * a buffer of its own (the local header's 30 bytes, then the data): for one large read such as
   * the manifest (~0.5 MB at 10k files), which through the block cache cost 2-3 MiB of reads and
   * copies into fresh memory.
   */
  async compressedDirect(e: ZipEntry): Promise<Buffer> {
    const start = dataStartFromLocalHeader(await this.localHeader(e.offset), e.offset);
    if (start + e.compressedSize > this.size) throw new Error('entry data runs past the end of the file (truncated)');
    const data = Buffer.allocUnsafe(e.compressedSize);
    if ((await this.readInto(data, start, e.compressedSize)) !== e.compressedSize) throw new Error('entry data is cut short (truncated)');
    return data;
  }

  /** A small entry's inflated bytes, exactly its declared size. */
  async small(e: ZipEntry): Promise<Buffer> {
    const data = await this.compressed(e);
    return inflateExactly(e, data, data.length >= 64 * 1024);
  }

  /** A large entry's inflated bytes as a stream (held to the declared size by the caller). */
  async stream(e: ZipEntry): Promise<Readable> {
    const { start } = await this.locate(e, false);
    const raw = createReadStream(this.path, { start, end: start + e.compressedSize - 1, highWaterMark: 1 << 20 });
    if (e.compressionMethod === 0) return raw;
    const inflate = createInflateRaw({ chunkSize: 1 << 20 });
    raw.on('error', (err) => inflate.destroy(err));
    return raw.pipe(inflate);
  }
}

/** An entry's compressed bytes inflated, held to exactly its declared size. */
export function inflateExactly(e: ZipEntry, data: Buffer, offThread: false): Buffer;
export function inflateExactly(e: ZipEntry, data: Buffer, offThread: boolean): Buffer | Promise<Buffer>;
export function inflateExactly(e: ZipEntry, data: Buffer, offThread: boolean): Buffer | Promise<Buffer> {
  if (e.compressionMethod === 0) {
    if (e.compressedSize !== e.uncompressedSize) throw new Error('a stored entry whose sizes disagree');
    return data;
  }
  // One output buffer of the declared size (plus a little, so zlib need not ask for a second):
  // no concatenation of 16 KiB pieces per entry.
  const opts = { maxOutputLength: Math.max(1, e.uncompressedSize), chunkSize: Math.max(64, Math.min(e.uncompressedSize + 64, 8 * 1024 * 1024)) };
  const check = (out: Buffer): Buffer => {
    if (out.length !== e.uncompressedSize) throw new Error(`it inflates to ${out.length} bytes, not the ${e.uncompressedSize} it declares`);
    return out;
  };
  const tooLarge = (err: unknown): never => {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error('it inflates to more bytes than it declares');
    throw err;
  };
  // Tiny entries inflate on this thread (a thread-pool round trip costs more than the work), on
  // its reused zlib handle, into a buffer of their own (the caller keeps it across awaits).
  if (!offThread) {
    const r = sharedInflater().inflate(data, e.uncompressedSize, Buffer.allocUnsafe(e.uncompressedSize + 1));
    if (!r.ok) throw new Error(r.message);
    return r.data;
  }
  return inflateRawAsync(data, opts).then(check, tooLarge);
}
