// Where a restore creates its small files: on a second thread, so that creating them (open with
// O_CREAT, the filesystem's inode allocation: most of a many-file restore, in the kernel) runs
// beside the inflate, CRC-32 and SHA-256 of the next entries on this thread instead of after them.
// Files are handed over in batches (one message and one copy of the bytes per batch, into a ring
// of buffers shared with the thread); the thread makes each file's folder when new, then creates
// the file exclusively ('wx') with its mode and writes it, in the order given (src/backup/write-worker.ts).
// Only checked bytes are handed over: the caller checks size, CRC-32 and SHA-256 first. The thread
// also copies large entries when asked (copyLarge), their checks made there as they stream.
import { createFile } from './create-file.js';
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-entry.js';
import type { WriteBatch, WriteReply, WriteWorkerData } from './write-worker.js';
import type { Copied, LargeEntry } from './copy-large.js';

/** The file-creating thread ended before its work was done (a broken worker file, an exception in it): no fault of the archive. */
export class WriteThreadStopped extends Error {}

/** Creates checked small files (exclusively, with their folders). */
export interface FileWriter {
  /** Resolves when the writer takes more (the files handed over and not yet created are few enough); rejects with the first failure. */
  ready(): Promise<void>;
  /**
   * Create `path` ('wx', `mode`) holding `data`, later (see flush) or now. Synchronous: `data` is
   * copied (or written) before it returns, so it may be a buffer reused right after. Throws the
   * first failure so far. Call ready() before each file to keep memory bounded.
   */
  put(path: string, mode: number, data: Uint8Array): void;
  /** Resolves once every file put so far exists and is closed; rejects with the first failure. */
  flush(): Promise<void>;
  /** Stop (idempotent): once it resolves, nothing more is created, whatever was still queued. */
  close(): Promise<void>;
  /** Copy a large entry to `dest` on the writer's thread (copyLarge in src/backup/copy-large.ts, as it is there); absent: the caller copies it. */
  copyLarge?(zipPath: string, e: LargeEntry, dest: { path: string; mode: number }): Promise<Copied>;
  /** Large entries being copied by copyLarge now. */
  largeJobs?(): number;
}

/** Files created on this thread, one synchronous call each. */
export function inlineWriter(): FileWriter {
  const made = new Set<string>();
  return {
    ready: () => Promise.resolve(),
    put(path, mode, data) {
      createFile(made, path, mode, data);
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

// A batch goes to the thread at this many bytes or files, or when this thread waits for I/O.
const BATCH_BYTES = 256 * 1024;
const BATCH_FILES = 64;
// Batches handed over and not yet done: bounds the memory held (about 2 MiB) and how far ahead of
// the disk this thread may run.
const IN_FLIGHT = 8;
// Batch buffers shared with each thread, reused in turn (a fresh 256 KiB buffer per batch cost
// its page faults: ~50 ms of this thread in a 10k-file restore). A slot is free again once the
// thread counted its batch done; when none is (more batches in flight than slots), a batch gets
// a buffer of its own, moved to the thread, as one larger than a slot does.
const RING = IN_FLIGHT + 4;

interface Batch {
  slot: number | undefined;
  buf: Uint8Array;
  used: number;
  paths: string[];
  modes: number[];
  ends: number[];
}

interface Thread {
  worker: Worker;
  /** Batches whose reply has not come yet. */
  inFlight: number;
  /** Batches sent, and done as the thread counts them (shared memory: current, unlike the replies, which wait for this thread's turn). */
  sent: number;
  done: Int32Array;
  ring: Uint8Array[];
  /** The batch number each slot last carried. */
  slotBatch: number[];
}

/**
 * Files created on `threads` worker threads (each batch on the one with the least in flight).
 * Throws when no thread can be started (the caller then uses inlineWriter). A failed create
 * (EEXIST, EROFS, ENOSPC, EACCES ...) is thrown, as the same Error with the same message and
 * code, from the next put() or flush(). Creating some files on this thread too while the thread
 * is behind was tried: both threads then create in the same folders, and that cost more CPU
 * (10k files: 0.93 s user vs 0.83 s) than the idle time it took back.
 */
export function threadWriter(threads = 1): FileWriter {
  const pool: Thread[] = [];
  let failed: Error | undefined;
  let closed = false;
  let batch: (Batch & { thread: Thread }) | undefined;
  let scheduled = false;
  // Waiters for a batch to come back (room in flight, or everything done).
  let waiters: (() => void)[] = [];
  // Large entries being copied on a thread, by job id.
  const jobs = new Map<number, { thread: Thread; resolve: (c: Copied) => void; reject: (e: Error) => void }>();
  let nextJob = 0;
  const errorOf = (f: NonNullable<WriteReply['error']>): Error => {
    const { message, ...rest } = f;
    return Object.assign(new Error(message), Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
  };
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const inFlight = (): number => pool.reduce((n, t) => n + t.inFlight, 0);
  const stop = (why: string): void => {
    failed ??= new WriteThreadStopped(`the file-creating thread stopped (${why})`);
    for (const t of pool) t.inFlight = 0;
    for (const j of jobs.values()) j.reject(failed);
    jobs.clear();
    wake();
  };
  try {
    for (let k = 0; k < threads; k++) {
      const data: WriteWorkerData = { done: new SharedArrayBuffer(4), ring: Array.from({ length: RING }, () => new SharedArrayBuffer(BATCH_BYTES)) };
      const t: Thread = { worker: startWorker('write-worker', { workerData: data }), inFlight: 0, sent: 0, done: new Int32Array(data.done), ring: data.ring.map((b) => new Uint8Array(b)), slotBatch: Array.from({ length: RING }, () => -1) };
      pool.push(t);
      t.worker.on('message', (m: WriteReply) => {
        t.inFlight = Math.max(0, t.inFlight - 1);
        // Idle until the next batch: a thread that waits for work must not keep the process alive.
        if (t.inFlight === 0) t.worker.unref();
        const job = m.job === undefined ? undefined : jobs.get(m.job);
        if (job) {
          jobs.delete(m.job!);
          // After a failed create the thread copies nothing: that failure is the one to report.
          if (m.error) job.reject(m.error.stopped && failed ? failed : errorOf(m.error));
          else job.resolve(m.copied!);
        } else if (m.error && !failed) failed = errorOf(m.error);
        wake();
      });
      t.worker.on('error', (e: Error) => stop(e.message));
      t.worker.on('exit', (code) => stop(closed ? 'closed' : `exit code ${code}`));
      t.worker.unref();
    }
  } catch (e) {
    for (const t of pool) void t.worker.terminate();
    throw e;
  }

  /** A batch for at least `size` bytes on the thread with the least in flight: a free ring slot when one is, else its own buffer. */
  const open = (size: number): Batch & { thread: Thread } => {
    const t = pool.reduce((a, x) => (x.inFlight < a.inFlight ? x : a));
    const slot = t.sent % RING;
    // The slot's last batch is done (batches are done in the order sent).
    const free = size <= BATCH_BYTES && t.slotBatch[slot]! < Atomics.load(t.done, 0);
    return { thread: t, slot: free ? slot : undefined, buf: free ? t.ring[slot]! : new Uint8Array(new ArrayBuffer(Math.max(size, BATCH_BYTES))), used: 0, paths: [], modes: [], ends: [] };
  };
  const send = (): void => {
    const b = batch;
    batch = undefined;
    if (!b || b.paths.length === 0) return;
    const t = b.thread;
    if (t.inFlight === 0) t.worker.ref();
    t.inFlight++;
    if (b.slot !== undefined) {
      t.slotBatch[b.slot] = t.sent;
      t.sent++;
      const m: WriteBatch = { slot: b.slot, paths: b.paths, modes: b.modes, ends: b.ends };
      t.worker.postMessage(m);
    } else {
      // (the ring's turn passes this batch by: its slot stays with the batch it last carried)
      t.sent++;
      const m: WriteBatch = { buf: b.buf.buffer as ArrayBuffer, paths: b.paths, modes: b.modes, ends: b.ends };
      t.worker.postMessage(m, [m.buf!]);
    }
  };
  return {
    async ready() {
      while (!failed && !closed && inFlight() >= IN_FLIGHT * pool.length) await new Promise<void>((r) => waiters.push(r));
      if (failed) throw failed;
    },
    put(path, mode, data) {
      if (closed) throw new Error('the file-creating thread was closed');
      if (failed) throw failed;
      // Sent when full; in flight may pass IN_FLIGHT by the few puts that passed ready() together.
      if (batch && (batch.used + data.length > batch.buf.length || batch.paths.length >= BATCH_FILES)) send();
      batch ??= open(data.length);
      batch.buf.set(data, batch.used);
      batch.used += data.length;
      batch.paths.push(path);
      batch.modes.push(mode);
      batch.ends.push(batch.used);
      // A part-filled batch goes as soon as this thread waits for anything (a read, a large entry):
      // the writing thread never idles behind a batch nobody is filling.
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          send();
        });
      }
    },
    async flush() {
      send();
      while (inFlight() > 0 && !failed) await new Promise<void>((r) => waiters.push(r));
      if (failed) throw failed;
    },
    largeJobs: () => jobs.size,
    copyLarge(zipPath, e, dest) {
      if (closed) return Promise.reject(new Error('the file-creating thread was closed'));
      if (failed) return Promise.reject(failed);
      const t = pool.reduce((a, x) => (x.inFlight < a.inFlight ? x : a));
      const id = nextJob++;
      return new Promise<Copied>((resolve, reject) => {
        jobs.set(id, { thread: t, resolve, reject });
        if (t.inFlight === 0) t.worker.ref();
        t.inFlight++;
        const m: WriteBatch = { job: id, large: { zipPath, e, dest }, paths: [], modes: [], ends: [] };
        t.worker.postMessage(m);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      batch = undefined;
      wake();
      await Promise.all(pool.map((t) => t.worker.terminate()));
    },
  };
}

/** A writer for a restore of `files` small files: a thread when there are enough of them (and one can be started). */
export function fileWriter(files: number): FileWriter {
  // Starting a thread costs ~30 ms; a handful of files are created faster than that on this one.
  if (files < 64) return inlineWriter();
  try {
    return threadWriter();
  } catch {
    return inlineWriter();
  }
}
