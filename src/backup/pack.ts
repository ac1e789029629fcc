// Packing small files for the backup: a batch of files read into one buffer gets each file's
// CRC-32, SHA-256 and deflate (level 6) in one call, on a worker thread when one is free, else
// on this thread. Why: deflate is ~60 % of the CPU of backing up small files, and the machine has
// a second core; one message per ~1 MiB batch (hundreds of files) keeps the hand-over cheap, and
// packing here whenever the worker is behind means a busy second core never makes it slower.
import * as crypto from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-entry.js';
import * as zlib from 'node:zlib';

/** Bytes of file data read into one batch (files are at most a quarter of it). */
export const BATCH_BYTES = 1 << 20;

/**
 * A batch: `count` files whose bytes lie in `buf`; file i is bytes [spans[3i], spans[3i] +
 * spans[3i+1]), to be deflated when spans[3i+2] is 1.
 */
export interface Batch {
  buf: Buffer;
  spans: Uint32Array;
  count: number;
}

/** A packed batch: per file its CRC-32, SHA-256 (32 bytes each in `sha`) and deflated length (-1: keep it stored), the deflated bytes one after the other in `out`. */
export interface Packed {
  /** The batch's bytes (the same memory, handed back by the worker). */
  buf: Buffer;
  crc: Uint32Array;
  sha: Uint8Array;
  lens: Int32Array;
  out: Uint8Array;
}

/** A packed batch without its buffer (what packBatch returns). */
export type PackResult = Omit<Packed, 'buf'>;

/** The zlib internals deflateWith() reuses (Node 20's Zlib stream: its native handle and write state). */
interface ZlibInternals {
  _handle?: { writeSync?: unknown; reset?: unknown };
  _writeState?: unknown;
}

/** One thread's deflate state: a zlib handle reused for every file, and its output buffer. */
export interface DeflateState {
  handle?: { writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void; reset(): void };
  /** The stream that owns the handle (destroyed when zlib reported an error). */
  stream?: { destroyed: boolean };
  /** [avail_out, avail_in] after each writeSync. */
  state?: Uint32Array;
  out?: Buffer;
  /** False once reuse failed (or the internals are missing): every file then gets its own deflateRawSync. */
  reuse?: boolean;
}

/**
 * Whether this Node's zlib streams have the internals deflateWith() reuses, or what is missing
 * (test/backup/pack.test.ts fails loudly when an upgrade changes them; at run time the packer
 * then falls back to a deflateRawSync per file, slower but the same archive).
 */
export function zlibReuseProblem(z: typeof zlib): string | undefined {
  const d = z.createDeflateRaw({ level: 6 }) as unknown as ZlibInternals & { close(): void };
  try {
    if (typeof d._handle?.writeSync !== 'function') return "zlib's _handle.writeSync is gone";
    if (typeof d._handle.reset !== 'function') return "zlib's _handle.reset is gone";
    if (!(d._writeState instanceof Uint32Array)) return "zlib's _writeState is not a Uint32Array";
    return undefined;
  } finally {
    d.close();
  }
}

/**
 * Deflate (level 6) one file's bytes; the result is only valid until the next call. One zlib handle is reset and reused for every file (what zlibBufferSync does
 * once per call, minus a stream object, a 16 KiB output buffer and ~260 KiB of zlib state set up
 * and thrown away per file: ~10 % of the deflate time and most of the garbage of small files).
 */
export function deflateWith(z: typeof zlib, st: DeflateState, data: Uint8Array): Uint8Array {
  if (st.reuse !== false) {
    try {
      if (!st.handle) {
        const d = z.createDeflateRaw({ level: 6 }) as unknown as ZlibInternals & { destroyed: boolean; on(e: string, f: () => void): void };
        // A zlib error destroys the stream (checked below) and is emitted on it: not uncaught.
        d.on('error', () => undefined);
        st.stream = d;
        if (typeof d._handle?.writeSync !== 'function' || typeof d._handle.reset !== 'function' || !(d._writeState instanceof Uint32Array)) throw new Error('no zlib internals');
        st.handle = d._handle as DeflateState['handle'];
        st.state = d._writeState;
      }
      // Room for deflate's worst case (stored blocks: 5 bytes per 16 KiB), so Z_FINISH ends in one call.
      const need = data.length + (data.length >> 3) + 1024;
      if (!st.out || st.out.length < need) st.out = Buffer.allocUnsafe(Math.max(need, 1 << 20));
      st.handle!.writeSync(z.constants.Z_FINISH, data, 0, data.length, st.out, 0, st.out.length);
      const availOut = st.state![0]!;
      const availIn = st.state![1]!;
      st.handle!.reset();
      if (availIn === 0 && availOut > 0 && !st.stream!.destroyed) return st.out.subarray(0, st.out.length - availOut);
    } catch {
      /* below */
    }
    st.reuse = false;
  }
  // A window no larger than the data finds the same matches and needs far less memory per call.
  const windowBits = Math.max(9, Math.min(15, Math.ceil(Math.log2(data.length + 262))));
  return z.deflateRawSync(data, { level: 6, windowBits, memLevel: Math.max(2, Math.min(8, windowBits - 6)) });
}

/** Pack one batch (here, or on the worker: src/backup/pack-worker.ts runs this same function). */
export function packBatch(z: typeof zlib, c: typeof crypto, deflate: (data: Uint8Array) => Uint8Array, buf: Uint8Array, spans: Uint32Array, count: number): PackResult {
  const crc = new Uint32Array(count);
  const sha = new Uint8Array(32 * count);
  const lens = new Int32Array(count);
  let room = 0;
  for (let i = 0; i < count; i++) if (spans[3 * i + 2] === 1) room += spans[3 * i + 1]!;
  // One buffer of its own (deflated bytes are stored only when smaller, so the inputs' total is
  // room enough), so that the worker can hand it over without a copy.
  const out = new Uint8Array(new ArrayBuffer(room));
  let at = 0;
  for (let i = 0; i < count; i++) {
    const data = buf.subarray(spans[3 * i]!, spans[3 * i]! + spans[3 * i + 1]!);
    crc[i] = z.crc32(data);
    sha.set(c.createHash('sha256').update(data).digest(), 32 * i);
    lens[i] = -1;
    if (spans[3 * i + 2] === 1 && data.length > 0) {
      const packed = deflate(data);
      // Stored when deflate does not make it smaller (as zip does).
      if (packed.length < data.length) {
        lens[i] = packed.length;
        out.set(packed, at);
        at += packed.length;
      }
    }
  }
  return { crc, sha, lens, out: out.subarray(0, at) };
}

/** A fresh batch buffer that owns its memory (so that it can move to the worker and back). */
export function batchBuffer(): Buffer {
  return Buffer.from(new ArrayBuffer(BATCH_BYTES));
}

/** Packs batches on one worker thread while it keeps up, on this thread otherwise. */
export class Packer {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (p: Packed) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | undefined;
  private readonly local: DeflateState = {};
  private readonly deflate = (data: Uint8Array): Uint8Array => deflateWith(zlib, this.local, data);

  /** `useWorker`: start the worker thread (worth it for megabytes to pack, not for a few files). */
  constructor(useWorker: boolean, private readonly maxInWorker = 2) {
    if (!useWorker) return;
    let w: Worker;
    try {
      w = startWorker('pack-worker');
    } catch {
      // No thread (its file missing from an incomplete install): everything is packed here, as a
      // restore writes its files here without its thread; the thread is a speed-up only.
      return;
    }
    this.worker = w;
    w.unref();
    w.on('message', (m: { id: number; buf: ArrayBuffer; error?: string } & PackResult) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) w.unref();
      if (m.error !== undefined) p.reject(new Error(`packing files failed: ${m.error}`));
      else p.resolve({ buf: Buffer.from(m.buf), crc: m.crc, sha: m.sha, lens: m.lens, out: m.out });
    });
    const fail = (e: Error): void => {
      this.failed ??= e;
      this.worker = undefined;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the packing worker stopped (exit ${code})`)));
  }

  /** Whether a worker thread is running. */
  get threaded(): boolean {
    return this.worker !== undefined;
  }

  /**
   * Pack `batch`: handed to the worker when fewer than maxInWorker batches wait there (its memory
   * moves there: do not touch `batch.buf` until the result comes), else packed right here.
   */
  pack(batch: Batch): Packed | Promise<Packed> {
    if (this.failed) throw this.failed;
    const w = this.worker;
    if (!w || this.waiting.size >= this.maxInWorker) {
      return { buf: batch.buf, ...packBatch(zlib, crypto, this.deflate, batch.buf, batch.spans, batch.count) };
    }
    const id = this.nextId++;
    const ab = batch.buf.buffer as ArrayBuffer;
    if (batch.buf.byteOffset !== 0 || ab.byteLength !== batch.buf.length) throw new Error('a batch buffer must own its memory (batchBuffer())');
    return new Promise<Packed>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, buf: ab, spans: batch.spans, count: batch.count }, [ab]);
    });
  }

  /** Stop the worker (pending batches are rejected). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failed ??= new Error('the packer was closed');
    if (w) await w.terminate();
  }
}
