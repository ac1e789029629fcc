// The archive's SHA-256 for verify's single read: on this thread for small archives, on a second
// thread for large ones, over the very buffers the read fills (shared memory, no copy), so that
// hashing runs beside the CRC-32 and inflate of the same bytes instead of after them. Why not a
// `sha256sum` child: this Node hashes at the speed of the system openssl (both use SHA-NI here,
// ~1.5 GB/s), so a child would only add a pipe copy and a dependency on PATH.
// The second thread also inflates and CRC-checks the small deflated entries of a chunk when the
// caller hands them over (most of the CPU of verifying many small files): see update().
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { adoptHashThread } from './hash-prestart.js';
import type { FrontReport, PassShare } from './read-pass.js';
import { startWorker } from './worker-entry.js';

/**
 * Small deflated entries lying wholly in a chunk, for the hashing thread to check: five numbers
 * per entry (start in the chunk, compressed size, declared size, CRC-32, the caller's tag). Made
 * by entryList(), it lives in shared memory behind a counter from which both threads claim
 * entries (claimEntry), so that the caller can check some itself instead of waiting; any other
 * Float64Array is checked whole by the hashing thread.
 */
export type EntryList = Float64Array;

/** An EntryList of `n` entries (zeroed) whose entries both threads can claim. */
export function entryList(n: number): EntryList {
  // [0, 8): the claim counter (an Int32, padded); then the entries.
  return new Float64Array(new SharedArrayBuffer(8 + 40 * n), 8, 5 * n);
}

/** Claim the next unchecked entry of `list` (from entryList): its index, or -1 when every entry is claimed. */
export function claimEntry(list: EntryList): number {
  const t = Atomics.add(new Int32Array(list.buffer as SharedArrayBuffer, 0, 1), 0, 1);
  return t < list.length / 5 ? t : -1;
}

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
   * given (only if `inflates`), inflate each to exactly its declared size and compare its CRC-32
   * (of a list from entryList(), those it claims); resolves when the buffer may be reused, with
   * the first entry it found failed, or undefined.
   */
  update(chunk: Buffer, index: number, entries?: EntryList): Promise<EntryFailure | undefined>;
  /**
   * Start hashing `chunk` now, before its update() (which must follow, with the same chunk):
   * the hashing thread then touches its pages first. Why: on this machine the first touch of
   * freshly read pages costs a page fault each (~6 us), about two thirds of the time this thread
   * spent finding 10k local headers; the hashing thread, which reads every byte anyway, is idle
   * meanwhile and runs ahead of it. Absent: update() hashes.
   */
  hashAhead?(chunk: Buffer, index: number): void;
  /**
   * Have the hashing thread read the archive itself (src/backup/read-pass.ts): it hashes every
   * byte and checks the entries of `share` it claims; resolves with its report (rejects when the
   * thread died). Instead of update(), never beside it. Absent: the caller reads.
   */
  readPass?(share: PassShare): Promise<FrontReport>;
  /** The hex digest of everything updated (or read by a read pass); rejects when the hashing thread failed. */
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

/**
 * Hashing on a worker thread over `count` shared buffers of `size` bytes. Replies come in order,
 * so one queue of waiters is enough. If the thread dies (an exception, an exit, terminate()),
 * every waiting and later call rejects with one sentence; the caller then hashes the file again.
 */
export function threadHasher(count: number, size: number, opts: { readPass?: boolean } = {}): ArchiveHasher & { readonly worker: Worker } {
  const shared = Array.from({ length: count }, () => new SharedArrayBuffer(size));
  const buffers = shared.map((s) => Buffer.from(s));
  // src/backup/hash-worker.ts (dist/workers/hash-worker.js); throws when it cannot be started.
  // A thread started early (hash-prestart.ts) gets its buffers in its first message instead.
  const early = adoptHashThread();
  const thread = early?.thread ?? startWorker('hash-worker', { workerData: shared });
  type Reply = string | EntryFailure | FrontReport | null;
  const waiting: { resolve: (v: Reply) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | undefined;
  let closed = false;
  const fail = (why: string): void => {
    failed ??= new Error(`the hashing thread stopped (${why})`);
    for (const w of waiting.splice(0)) w.reject(failed);
  };
  thread.on('message', (v: Reply) => waiting.shift()?.resolve(v));
  thread.on('error', (e: Error) => fail(e.message));
  thread.on('exit', (code) => fail(closed ? 'closed' : `exit code ${code}`));
  if (early?.failure) fail(early.failure);
  else if (early) thread.postMessage({ buffers: shared });
  const ask = (msg: object): Promise<Reply> => {
    if (failed) return Promise.reject(failed);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      thread.postMessage(msg);
    });
  };
  // The length of the chunk of each buffer hashed ahead of its update(), else -1.
  const ahead = shared.map(() => -1);
  const inBuffer = (chunk: Buffer, index: number, what: string): void => {
    if (chunk.buffer !== shared[index] || chunk.byteOffset !== 0) throw new Error(`threadHasher.${what}: the chunk is not in the shared buffer it names`);
  };
  return {
    buffers,
    worker: thread,
    inflates: true,
    get pending() {
      return waiting.length;
    },
    hashAhead(chunk, index) {
      inBuffer(chunk, index, 'hashAhead');
      if (ahead[index] !== -1) throw new Error('threadHasher.hashAhead: that buffer was already hashed ahead of its update');
      // A dead thread gets nothing: update() rejects, and the caller hashes the file again.
      if (failed) return;
      thread.postMessage({ i: index, n: chunk.length, ahead: true });
      ahead[index] = chunk.length;
    },
    async update(chunk, index, entries) {
      inBuffer(chunk, index, 'update');
      const hashed = ahead[index] !== -1;
      if (hashed && ahead[index] !== chunk.length) throw new Error('threadHasher.update: not the chunk hashed ahead');
      ahead[index] = -1;
      const r = await ask({ i: index, n: chunk.length, entries, hashed });
      return r === null || typeof r === 'string' ? undefined : (r as EntryFailure);
    },
    // (only when asked for: a caller that wraps update() must not have its reads bypassed)
    ...(opts.readPass ? { readPass: async (share: PassShare) => (await ask({ pass: share })) as FrontReport } : {}),
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
