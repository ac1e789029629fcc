// The archive's SHA-256 for verify's single read: on this thread for small archives, on a second
// thread for large ones, over the very buffers the read fills (shared memory, no copy), so that
// hashing runs beside the CRC-32 and inflate of the same bytes instead of after them. Why not a
// `sha256sum` child: this Node hashes at the speed of the system openssl (both use SHA-NI here,
// ~1.5 GB/s), so a child would only add a pipe copy and a dependency on PATH.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** SHA-256 of the bytes handed to update(), in order. */
export interface ArchiveHasher {
  /** Buffers the caller reads into (shared with the hashing thread), or undefined: any buffer will do. */
  readonly buffers: Buffer[] | undefined;
  /** Hash `chunk` (buffers[index].subarray(0, n) when buffers are given); resolves when the buffer may be reused. */
  update(chunk: Buffer, index: number): Promise<void>;
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
    update(chunk) {
      h.update(chunk);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(h.digest('hex')),
    close: () => Promise.resolve(),
  };
}

// Plain CommonJS run by the worker (eval): no file to locate next to a bundle.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const h = createHash('sha256');
const views = workerData.map((sab) => Buffer.from(sab));
parentPort.on('message', (m) => {
  if (m.digest) parentPort.postMessage(h.digest('hex'));
  else {
    h.update(views[m.i].subarray(0, m.n));
    parentPort.postMessage(null);
  }
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
  const worker = new Worker(WORKER, { eval: true, workerData: shared });
  const waiting: { resolve: (v: string | null) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | undefined;
  let closed = false;
  const fail = (why: string): void => {
    failed ??= new Error(`the hashing thread stopped (${why})`);
    for (const w of waiting.splice(0)) w.reject(failed);
  };
  worker.on('message', (v: string | null) => waiting.shift()?.resolve(v));
  worker.on('error', (e: Error) => fail(e.message));
  worker.on('exit', (code) => fail(closed ? 'closed' : `exit code ${code}`));
  const ask = (msg: object): Promise<string | null> => {
    if (failed) return Promise.reject(failed);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      worker.postMessage(msg);
    });
  };
  return {
    buffers,
    worker,
    async update(chunk, index) {
      if (chunk.buffer !== shared[index] || chunk.byteOffset !== 0) throw new Error('threadHasher.update: the chunk is not in the shared buffer it names');
      await ask({ i: index, n: chunk.length });
    },
    async digest() {
      return (await ask({ digest: true }))!;
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker.terminate();
    },
  };
}
