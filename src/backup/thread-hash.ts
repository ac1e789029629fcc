// The archive's SHA-256 for verify's single read: on this thread for small archives, on a second
// thread for large ones, over the very buffers the read fills (shared memory, no copy), so that
// hashing runs beside the CRC-32 and inflate of the same bytes instead of after them. Why not a
// `sha256sum` child: this Node hashes at the speed of the system openssl (both use SHA-NI here,
// ~1.5 GB/s), so a child would only add a pipe copy and a dependency on PATH.
// The second thread also inflates and CRC-checks the small deflated entries of a chunk when the
// caller hands them over (most of the CPU of verifying many small files): see update().
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { inflaterSource } from './inflate.js';

/**
 * Small deflated entries lying wholly in a chunk, for the hashing thread to check: five numbers
 * per entry (start in the chunk, compressed size, declared size, CRC-32, the caller's tag).
 */
export type EntryList = Float64Array;

/** The first entry of a list that failed: its tag, and whether its CRC-32 or its inflate failed (with zlib's words). */
export interface EntryFailure {
  tag: number;
  crc: boolean;
  message: string;
}

/** SHA-256 of the bytes handed to update(), in order. */
export interface ArchiveHasher {
  /** Buffers the caller reads into (shared with the hashing thread), or undefined: any buffer will do. */
  readonly buffers: Buffer[] | undefined;
  /** Whether update() checks entry lists (a second thread); false: the caller checks them itself. */
  readonly inflates: boolean;
  /** Updates handed over and not yet done. */
  readonly pending: number;
  /**
   * Hash `chunk` (buffers[index].subarray(0, n) when buffers are given) and, when `entries` are
   * given (only if `inflates`), inflate each to exactly its declared size and compare its CRC-32;
   * resolves when the buffer may be reused, with the first failed entry or undefined.
   */
  update(chunk: Buffer, index: number, entries?: EntryList): Promise<EntryFailure | undefined>;
  /** The hex digest of everything updated; rejects when the hashing thread failed. */
  digest(): Promise<string>;
  /** Stop the hashing thread (idempotent). */
  close(): Promise<void>;
}

/** Hashing on this thread. */
export function inlineHasher(): ArchiveHasher {
  const h = createHash('sha256');
  return {
    buffers: undefined,
    inflates: false,
    pending: 0,
    update(chunk) {
      h.update(chunk);
      return Promise.resolve(undefined);
    },
    digest: () => Promise.resolve(h.digest('hex')),
    close: () => Promise.resolve(),
  };
}

// Plain CommonJS run by the worker (eval): no file to locate next to a bundle. The inflater is
// src/backup/inflate.ts's own code (inflaterSource), so both threads inflate alike.
const worker = (): string => `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
${inflaterSource()}
const h = createHash('sha256');
const views = workerData.map((sab) => Buffer.from(sab));
let inf;
parentPort.on('message', (m) => {
  if (m.digest) return parentPort.postMessage(h.digest('hex'));
  const view = views[m.i].subarray(0, m.n);
  h.update(view);
  let fail = null;
  const l = m.entries;
  if (l) {
    inf ??= new RawInflater(true, zlib);
    for (let j = 0; j < l.length && !fail; j += 5) {
      const r = inf.inflate(view.subarray(l[j], l[j] + l[j + 1]), l[j + 2]);
      if (!r.ok) fail = { tag: l[j + 4], crc: false, message: r.message };
      else if (r.crc !== l[j + 3]) fail = { tag: l[j + 4], crc: true, message: 'CRC-32 mismatch' };
    }
  }
  parentPort.postMessage(fail);
});
`;

/**
 * Hashing on a worker thread over `count` shared buffers of `size` bytes. Replies come in order,
 * so one queue of waiters is enough. If the thread dies (an exception, an exit, terminate()),
 * every waiting and later call rejects with one sentence; the caller then hashes the file again.
 */
export function threadHasher(count: number, size: number): ArchiveHasher & { readonly worker: Worker } {
  const shared = Array.from({ length: count }, () => new SharedArrayBuffer(size));
  const buffers = shared.map((s) => Buffer.from(s));
  const thread = new Worker(worker(), { eval: true, workerData: shared });
  const waiting: { resolve: (v: string | EntryFailure | null) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | undefined;
  let closed = false;
  const fail = (why: string): void => {
    failed ??= new Error(`the hashing thread stopped (${why})`);
    for (const w of waiting.splice(0)) w.reject(failed);
  };
  thread.on('message', (v: string | EntryFailure | null) => waiting.shift()?.resolve(v));
  thread.on('error', (e: Error) => fail(e.message));
  thread.on('exit', (code) => fail(closed ? 'closed' : `exit code ${code}`));
  const ask = (msg: object): Promise<string | EntryFailure | null> => {
    if (failed) return Promise.reject(failed);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      thread.postMessage(msg);
    });
  };
  return {
    buffers,
    worker: thread,
    inflates: true,
    get pending() {
      return waiting.length;
    },
    async update(chunk, index, entries) {
      if (chunk.buffer !== shared[index] || chunk.byteOffset !== 0) throw new Error('threadHasher.update: the chunk is not in the shared buffer it names');
      const r = await ask({ i: index, n: chunk.length, entries });
      return r === null || typeof r === 'string' ? undefined : r;
    },
    async digest() {
      return (await ask({ digest: true })) as string;
    },
    async close() {
      if (closed) return;
      closed = true;
      await thread.terminate();
    },
  };
}
