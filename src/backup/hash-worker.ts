// Verify's hashing thread (started by src/backup/thread-hash.ts): the archive's SHA-256 over the
// shared read buffers (or over its own reads: a read pass, src/backup/read-pass.ts), and the
// inflate and CRC-32 check of the small deflated entries handed over with a chunk, on
// src/backup/inflate.ts's RawInflater, the very code the verifying thread inflates with, so both
// threads inflate alike.
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { RawInflater } from './inflate.js';
import { frontPass, type PassShare } from './read-pass.js';

/** A message from threadHasher: buffer `i`'s first `n` bytes, hashed ahead or with their entries; or the digest asked for; or, first to a thread started early, the shared buffers. */
interface HashJob {
  buffers?: SharedArrayBuffer[];
  digest?: true;
  i: number;
  n: number;
  ahead?: boolean;
  hashed?: boolean;
  entries?: Float64Array;
  /** A read pass (src/backup/read-pass.ts): this thread reads and hashes the whole archive itself; the reply is its report. */
  pass?: PassShare;
}

const h = createHash('sha256');
// (a thread started early, src/backup/hash-prestart.ts, has no workerData: its buffers come first by message)
let views = ((workerData ?? []) as SharedArrayBuffer[]).map((sab) => Buffer.from(sab));
let inf: RawInflater | undefined;
parentPort!.on('message', (m: HashJob) => {
  if (m.buffers) {
    views = m.buffers.map((sab) => Buffer.from(sab));
    return;
  }
  if (m.digest) return parentPort!.postMessage(h.digest('hex'));
  if (m.pass) {
    inf ??= new RawInflater(true, zlib);
    return parentPort!.postMessage(frontPass(m.pass, h, inf));
  }
  const view = views[m.i]!.subarray(0, m.n);
  // (m.ahead: hashed ahead of its entries, which come with the update that follows; no reply)
  if (!m.hashed) h.update(view);
  if (m.ahead) return;
  let fail: { tag: number; crc: boolean; message: string } | null = null;
  const l = m.entries;
  if (l) {
    inf ??= new RawInflater(true, zlib);
    // A list from entryList(): entries are claimed one at a time, in order, from the counter the
    // caller claims from too (it helps instead of waiting); any other list is checked whole.
    const next = l.buffer instanceof SharedArrayBuffer && l.byteOffset === 8 ? new Int32Array(l.buffer, 0, 1) : null;
    const count = l.length / 5;
    for (let k = 0; !fail; k++) {
      const t = next ? Atomics.add(next, 0, 1) : k;
      if (t >= count) break;
      const j = 5 * t;
      const r = inf.inflate(view.subarray(l[j]!, l[j]! + l[j + 1]!), l[j + 2]!);
      if (!r.ok) fail = { tag: l[j + 4]!, crc: false, message: r.message };
      else if (r.crc !== l[j + 3]) fail = { tag: l[j + 4]!, crc: true, message: 'CRC-32 mismatch' };
    }
  }
  parentPort!.postMessage(fail);
});
