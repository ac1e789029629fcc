// Verify's read pass of an archive whose entries are all small (src/backup/verify.ts onePass): the
// hashing thread reads the file itself, start to end, with synchronous reads on the archive's open
// descriptor, hashing every byte and checking the entries it claims from the front of a shared
// entry table, from the moment it is up. Why: when this thread read the chunks and handed them
// over, the hashing thread starved while this one parsed the central directory and checked the
// manifest (~40-60 ms of a 10k-file verify), and finding each local header cost this thread too.
// This thread joins once its own checks are done, claiming entries from the back, until the two
// meet. Both check an entry with the same function (checkEntry), so they check alike.
import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { RawInflater } from './inflate.js';
import { NO_LOCAL_HEADER, u16, u32 } from './zip-fields.js';

/** Numbers per entry in a pass's table: local header offset, compressed size, declared size, CRC-32, flags (DEFLATED, LINK). */
export const FIELDS = 5;
/** Flag: the entry is deflated (else stored). */
export const DEFLATED = 1;
/** Flag: the entry is a symbolic link (its target is returned). */
export const LINK = 2;

/** What both threads of a read pass share (sent to the hashing thread in one message; the arrays are shared memory). */
export interface PassShare {
  /** The archive's descriptor (this process's: the hashing thread reads the very file this thread opened). */
  fd: number;
  /** Its size when opened: the pass hashes exactly these bytes. */
  size: number;
  /** FIELDS numbers per entry, in file order. */
  table: Float64Array;
  /** Per entry: 0 unclaimed, 1 claimed by the hashing thread (from the front), 2 by this thread (from the back). */
  claims: Uint8Array;
  /** [0]: how many entries the hashing thread has checked (a prefix); [1]: 1 once it found a bad one (this thread then stops claiming). */
  state: Int32Array;
}

/** A shared table, claims and state for `n` entries (the table zeroed, to be filled by the caller). */
export function passShare(fd: number, size: number, n: number): PassShare {
  return { fd, size, table: new Float64Array(new SharedArrayBuffer(8 * FIELDS * n)), claims: new Uint8Array(new SharedArrayBuffer(n)), state: new Int32Array(new SharedArrayBuffer(8)) };
}

/** What is wrong with an entry: its words when damaged; crc/link-size/link-crc are worded by the caller, who knows the entry's name. */
export type EntryProblem = { kind: 'damaged'; message: string } | { kind: 'crc' | 'link-size' | 'link-crc' };

/** An entry found bad: its index in the table, and what. */
export type EntryFailureAt = EntryProblem & { t: number };

/** The hashing thread's report of a read pass. */
export interface FrontReport {
  /** Whether every byte of the archive (its size when opened) was read and hashed. */
  hashed: boolean;
  /** The first entry it found bad (it claims no more after it). */
  fail?: EntryFailureAt;
  /** The targets of the links it checked: [index, target]. */
  targets: [number, string][];
}

/** Random access to the archive without a view per call: load() makes bytes readable at view[at..]. */
export interface ByteSource {
  /** Make bytes [pos, pos + len) readable at view[at..]; how many are (fewer when the file ends first). Valid until the next load. */
  load(pos: number, len: number): number;
  view: Buffer;
  at: number;
}

/** How the passes read (fs.readSync; a test may pass one that fails or cuts the file short). */
export type ReadFn = (fd: number, buf: Buffer, off: number, len: number, pos: number) => number;

const OK: { ok: true; target?: string } = { ok: true };
// Reads of 256 KiB: the buffers they land in are touched once and reused (on this machine a fresh
// page costs ~12 us to fault in; 1 MiB buffers cost a pass ~10 ms of faults per thread).
const CHUNK = 256 * 1024;
// The largest entry the passes take whole: verify's "small" (1 MiB compressed) and its local
// header (names and extra fields up to 64 KiB each).
const MAX_SPAN = 1024 * 1024 + 128 * 1024 + 30;

/**
 * Check entry `t` of the table: its local header, where its data lies, then its size and CRC-32
 * (inflated first when deflated, to exactly its declared size); a link's target is returned.
 * The same checks and words as verify's streaming pass.
 */
export function checkEntry(table: Float64Array, size: number, t: number, bytes: ByteSource, inf: RawInflater): { ok: true; target?: string } | ({ ok: false } & EntryProblem) {
  const j = FIELDS * t;
  const off = table[j]!;
  const csize = table[j + 1]!;
  const usize = table[j + 2]!;
  const crc = table[j + 3]!;
  const flags = table[j + 4]!;
  if (bytes.load(off, 30) < 30 || u32(bytes.view, bytes.at) !== 0x04034b50) return damaged(NO_LOCAL_HEADER);
  const start = off + 30 + u16(bytes.view, bytes.at + 26) + u16(bytes.view, bytes.at + 28);
  if (start + csize > size) return damaged('entry data runs past the end of the file (truncated)');
  if (!(flags & DEFLATED) && csize !== usize) return damaged('a stored entry whose sizes disagree');
  // (fewer: the file got shorter while it was read)
  if (bytes.load(start, csize) !== csize) return damaged('entry data runs past the end of the file (truncated)');
  let data: Buffer;
  let c: number;
  if (flags & DEFLATED) {
    const r = inf.inflate(bytes.view, usize, undefined, bytes.at, csize);
    if (!r.ok) return damaged(r.message);
    data = r.data;
    c = r.crc;
  } else {
    data = bytes.view.subarray(bytes.at, bytes.at + csize);
    c = crc32(data);
  }
  if (data.length !== usize) return damaged(`it inflates to ${data.length} bytes, not the ${usize} it declares`);
  if (flags & LINK) {
    if (usize > 4096) return { ok: false, kind: 'link-size' };
    if (c >>> 0 !== crc) return { ok: false, kind: 'link-crc' };
    return { ok: true, target: data.toString('utf8') };
  }
  return c >>> 0 === crc ? OK : { ok: false, kind: 'crc' };
}

function damaged(message: string): { ok: false; kind: 'damaged'; message: string } {
  return { ok: false, kind: 'damaged', message };
}

/**
 * The archive read in order, every byte hashed once as it is read, with the bytes of the entry
 * being checked kept in one reused buffer (an entry straddling two reads is moved to its front).
 * Bytes asked for behind what was read (an entry whose data another one's overlaps: refused
 * before the pass, but a local header can still lie) are read aside, not hashed again.
 */
class SequentialSource implements ByteSource {
  private buf = Buffer.allocUnsafe(2 * CHUNK);
  private aside = Buffer.allocUnsafe(0);
  /** File offsets of buf[0] and of the end of what was read. */
  private start = 0;
  end = 0;
  private eof = false;

  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly hash: { update(b: Uint8Array): unknown },
    private readonly read: ReadFn,
  ) {}

  /** Read (and hash) the next piece, keeping bytes from `keep` on; false at the end of the file. */
  private more(keep: number): boolean {
    let used = this.end - this.start;
    if (used + CHUNK > this.buf.length) {
      const from = Math.min(Math.max(keep, this.start), this.end);
      used = this.end - from;
      // (an entry larger than the buffer grows it: at most MAX_SPAN + CHUNK)
      const to = used + CHUNK > this.buf.length ? Buffer.allocUnsafe(used + CHUNK) : this.buf;
      this.buf.copy(to, 0, from - this.start, this.end - this.start);
      this.buf = to;
      this.start = from;
    }
    const want = Math.min(CHUNK, this.size - this.end);
    if (this.eof || want <= 0) return false;
    const got = this.read(this.fd, this.buf, used, want, this.end);
    if (got <= 0) {
      this.eof = true;
      return false;
    }
    this.hash.update(this.buf.subarray(used, used + got));
    this.end += got;
    return true;
  }

  view: Buffer = this.buf;
  at = 0;

  load(pos: number, len: number): number {
    if (pos >= this.start && pos + len <= this.end) {
      this.view = this.buf;
      this.at = pos - this.start;
      return len;
    }
    if (pos < this.start || len > MAX_SPAN) {
      if (this.aside.length < len) this.aside = Buffer.allocUnsafe(len);
      this.view = this.aside;
      this.at = 0;
      return readFully(this.read, this.fd, this.aside, len, pos);
    }
    while (this.end < pos + len && this.more(pos));
    this.view = this.buf;
    this.at = Math.max(0, pos - this.start);
    return Math.max(0, Math.min(this.end, pos + len) - pos);
  }

  /** Read and hash the rest of the file. */
  rest(): void {
    while (this.end < this.size && this.more(this.end));
  }
}

/** Read up to `len` bytes at `pos` into buf[0..]; how many (fewer at the end of the file). */
function readFully(read: ReadFn, fd: number, buf: Buffer, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const n = read(fd, buf, got, len - got, pos + got);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

/** checkEntry for entry `t` of `s`: a link's target goes to `targets`; what is wrong with it, or undefined when it is good. */
function checkInto(s: PassShare, t: number, src: ByteSource, inf: RawInflater, targets: [number, string][]): EntryFailureAt | undefined {
  const v = checkEntry(s.table, s.size, t, src, inf);
  if (!v.ok) {
    const { ok: _ok, ...problem } = v;
    return { t, ...problem };
  }
  if (v.target !== undefined) targets.push([t, v.target]);
  return undefined;
}

/**
 * The hashing thread's side of a read pass: read and hash the whole archive, and check the
 * entries it claims from the front, until this thread's claims from the back meet it or an entry
 * is bad. Throws only when a read fails (the caller then checks everything itself).
 */
export function frontPass(s: PassShare, hash: { update(b: Uint8Array): unknown }, inf: RawInflater, read: ReadFn = readSync): FrontReport {
  const src = new SequentialSource(s.fd, s.size, hash, read);
  const targets: [number, string][] = [];
  let fail: EntryFailureAt | undefined;
  for (let t = 0; t < s.claims.length; t++) {
    if (Atomics.compareExchange(s.claims, t, 0, 1) !== 0) break;
    fail = checkInto(s, t, src, inf, targets);
    if (fail) {
      Atomics.store(s.state, 1, 1);
      break;
    }
    Atomics.store(s.state, 0, t + 1);
  }
  src.rest();
  return { hashed: src.end === s.size, ...(fail ? { fail } : {}), targets };
}

/**
 * Random access for this thread's share: a window placed to hold an entry and, going backward,
 * the entries before it; bytes outside it are read on their own.
 */
export class WindowSource implements ByteSource {
  // One 256 KiB window, reused (its pages faulted in once): a larger entry is read aside.
  private buf = Buffer.allocUnsafe(CHUNK);
  private aside = Buffer.allocUnsafe(0);
  private wStart = 0;
  private wEnd = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly read: ReadFn = readSync,
  ) {}

  /** Make the window hold [lo, hi) when it fits: ending at `hi` going backward, else starting at `lo`. */
  cover(lo: number, hi: number, backward: boolean): void {
    hi = Math.min(hi, this.size);
    if (lo >= this.wStart && hi <= this.wEnd) return;
    const span = this.buf.length;
    const from = backward && hi - lo <= span ? Math.max(0, hi - span) : lo;
    const len = Math.min(span, this.size - from);
    this.wStart = from;
    this.wEnd = from + readFully(this.read, this.fd, this.buf, Math.max(0, len), from);
  }

  view: Buffer = this.buf;
  at = 0;

  load(pos: number, len: number): number {
    if (pos >= this.wStart && pos + len <= this.wEnd) {
      this.view = this.buf;
      this.at = pos - this.wStart;
      return len;
    }
    if (this.aside.length < len) this.aside = Buffer.allocUnsafe(len);
    this.view = this.aside;
    this.at = 0;
    return readFully(this.read, this.fd, this.aside, len, pos);
  }
}

/**
 * This thread's side of a read pass: check entries claimed from the back until it meets the
 * hashing thread's claims, that thread found a bad entry, or one here is bad (the hashing thread
 * then checks every entry before it). `onEntry` gets each good entry's declared size.
 */
export function backPass(s: PassShare, inf: RawInflater, onEntry: (t: number) => void, read: ReadFn = readSync): { fail?: EntryFailureAt; targets: [number, string][] } {
  const src = new WindowSource(s.fd, s.size, read);
  const targets: [number, string][] = [];
  const n = s.claims.length;
  for (let t = n - 1; t >= 0; t--) {
    if (Atomics.load(s.state, 1) !== 0 || Atomics.compareExchange(s.claims, t, 0, 2) !== 0) break;
    const off = s.table[FIELDS * t]!;
    // The window ends where the next entry's local header starts: going backward, it then holds
    // this entry and those before it.
    src.cover(off, t + 1 < n ? Math.max(off + 30, s.table[FIELDS * (t + 1)]!) : s.size, true);
    const fail = checkInto(s, t, src, inf, targets);
    if (fail) return { fail, targets };
    onEntry(t);
  }
  return { targets };
}

/**
 * Every entry not claimed by this thread, checked here in file order (the hashing thread died, so
 * what it claimed is unknown to be checked); stops at the first bad one.
 */
export function catchUpPass(s: PassShare, inf: RawInflater, onEntry: (t: number) => void, read: ReadFn = readSync): { fail?: EntryFailureAt; targets: [number, string][] } {
  const src = new WindowSource(s.fd, s.size, read);
  const targets: [number, string][] = [];
  for (let t = 0; t < s.claims.length; t++) {
    if (s.claims[t] === 2) continue;
    const off = s.table[FIELDS * t]!;
    src.cover(off, off + 30 + s.table[FIELDS * t + 1]!, false);
    const fail = checkInto(s, t, src, inf, targets);
    if (fail) return { fail, targets };
    onEntry(t);
  }
  return { targets };
}
