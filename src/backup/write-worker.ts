// The restore's file-creating thread (started by src/backup/write-thread.ts): it receives batches
// of checked files (their bytes in one buffer, and per file its path, mode and end in that
// buffer), makes each file's folder when new, creates the file exclusively ('wx') with its mode
// and writes it, in the order given. After a failure it creates nothing more (the caller is told
// and removes the staging), but still answers and counts every batch.
import { parentPort, workerData } from 'node:worker_threads';
import { createFile } from './create-file.js';
import { copyLarge, type Copied, type LargeEntry } from './copy-large.js';

/** What the thread is started with: `done` counts finished batches; `ring` holds the batch buffers a batch names by `slot`. */
export interface WriteWorkerData {
  done: SharedArrayBuffer;
  ring: SharedArrayBuffer[];
}

/**
 * A batch as write-thread.ts sends it: its bytes in ring[slot], or in `buf` (moved here) when
 * larger than a ring buffer; or (with `job`) one large entry to copy (copy-large.ts).
 */
export interface WriteBatch {
  slot?: number;
  buf?: ArrayBuffer;
  job?: number;
  large?: { zipPath: string; e: LargeEntry; dest: { path: string; mode: number } };
  paths: string[];
  modes: number[];
  ends: number[];
}

/**
 * The reply to each batch: the first failure, if any (plain fields: an Error's own properties do
 * not cross threads); to a large entry's job: what was copied, or its failure (`stopped`: none
 * was tried, a create had failed before).
 */
export interface WriteReply {
  job?: number;
  copied?: Copied;
  error?: { message: string; code?: string; syscall?: string; path?: string; errno?: number; stopped?: boolean };
}

const { done, ring } = workerData as WriteWorkerData;
// Counted after each batch, in memory the caller reads at once (its replies may wait behind the
// caller's own work): a ring buffer is free for the next batch once its batch is counted.
const doneCount = new Int32Array(done);
const views = ring.map((b) => Buffer.from(b));
const made = new Set<string>();
let failed = false;

/** Create the files of one batch; the first failure, if any. */
function writeBatch(m: WriteBatch): WriteReply['error'] {
  const data = m.buf ? Buffer.from(m.buf) : views[m.slot!]!;
  let at = 0;
  for (let i = 0; i < m.paths.length; i++) {
    const p = m.paths[i]!;
    const end = m.ends[i]!;
    try {
      createFile(made, p, m.modes[i]!, data.subarray(at, end));
    } catch (e) {
      failed = true;
      return fields(e, p);
    }
    at = end;
  }
  return undefined;
}

/** An error as plain fields (`path` when it names none). */
function fields(e: unknown, path?: string): NonNullable<WriteReply['error']> {
  const err = e as NodeJS.ErrnoException;
  return { message: err.message, code: err.code, syscall: err.syscall, path: err.path ?? path, errno: err.errno };
}

/** Copy one large entry (beside the batches: its reads and writes go through the thread pool). */
function copyJob(job: number, large: NonNullable<WriteBatch['large']>): void {
  if (failed) {
    parentPort!.postMessage({ job, error: { message: 'an earlier create failed', stopped: true } } satisfies WriteReply);
    return;
  }
  copyLarge(large.zipPath, large.e, large.dest, () => undefined).then(
    (copied) => parentPort!.postMessage({ job, copied } satisfies WriteReply),
    (e: unknown) => parentPort!.postMessage({ job, error: fields(e) } satisfies WriteReply),
  );
}

parentPort!.on('message', (m: WriteBatch) => {
  if (m.job !== undefined) return copyJob(m.job, m.large!);
  const error = failed ? undefined : writeBatch(m);
  Atomics.add(doneCount, 0, 1);
  const reply: WriteReply = error ? { error } : {};
  parentPort!.postMessage(reply);
});
