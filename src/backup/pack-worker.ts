// The backup's packing thread (started by src/backup/pack.ts): each batch's memory comes in, is
// packed with packBatch, the very function the backup's own thread packs with when this one is
// busy, and goes back out with the result (moved, not copied).
import * as crypto from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { deflateWith, packBatch, type DeflateState, type PackResult } from './pack.js';

/** A batch as pack.ts sends it. */
interface PackJob {
  id: number;
  buf: ArrayBuffer;
  spans: Uint32Array;
  count: number;
}

// This thread's deflate state: one reused zlib handle.
const st: DeflateState = {};
const deflate = (data: Uint8Array): Uint8Array => deflateWith(zlib, st, data);

parentPort!.on('message', (m: PackJob) => {
  let r: PackResult;
  try {
    r = packBatch(zlib, crypto, deflate, new Uint8Array(m.buf), m.spans, m.count);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, buf: m.buf, error: String((e as Error | undefined)?.message ?? e) }, [m.buf]);
    return;
  }
  parentPort!.postMessage({ id: m.id, buf: m.buf, ...r }, [m.buf, r.out.buffer as ArrayBuffer]);
});
