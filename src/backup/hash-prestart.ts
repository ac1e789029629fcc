// Verify's hashing thread started before anything else of the command loads (src/cli/hot-verify.ts):
// a thread's start costs ~100 ms of CPU (Node bootstraps a second isolate), which otherwise began
// only once the modules and the runbook were loaded, so that this thread reached its first chunk
// before the other could take it. Started early, it boots on the other core beside the module
// loading. threadHasher (thread-hash.ts) adopts it and hands it its buffers in a first message;
// a verify that hashes on its own thread (a small archive) ends it. Kept apart from thread-hash.ts
// so that the entry imports nothing but worker-entry.ts (no node:crypto before the graph loads).
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-entry.js';

/**
 * From this archive size on, verify hashes (and inflates) on the second thread; below it, starting
 * the thread (~85 ms of CPU) costs more than it takes off this one (src/backup/verify.ts archiveHasher).
 */
export const HASH_THREAD_FROM = 4 * 1024 * 1024;

let early: { thread: Worker; failure?: string } | undefined;

/** Start the hashing thread now (without its buffers) and return it; nothing happens when it cannot be started. */
export function prestartHashThread(): Worker | undefined {
  if (early) return early.thread;
  try {
    const thread = startWorker('hash-worker');
    const slot: { thread: Worker; failure?: string } = { thread };
    // Until it is adopted, its end is recorded (an unheard 'error' would end the process).
    thread.on('error', (e: Error) => (slot.failure ??= e.message));
    thread.on('exit', (code) => (slot.failure ??= `exit code ${code}`));
    // Not adopted, it must not keep the process alive.
    thread.unref();
    early = slot;
    return thread;
  } catch {
    early = undefined;
    return undefined;
  }
}

/** The thread started by prestartHashThread, once (with why it already ended, if it did), or undefined. */
export function adoptHashThread(): { thread: Worker; failure?: string } | undefined {
  const e = early;
  early = undefined;
  e?.thread.ref();
  return e;
}

/** End the thread started early when it will not be used (its archive is hashed on this thread). */
export function discardHashThread(): void {
  const e = early;
  early = undefined;
  void e?.thread.terminate();
}
