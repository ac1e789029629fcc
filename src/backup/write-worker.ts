// The restore's file-creating thread (started by src/backup/write-thread.ts): it receives batches
// of checked files (one buffer, and per file its path, mode and end in that buffer), makes each
// file's folder when new, creates the file exclusively ('wx') with its mode and writes it, in the
// order given. After a failure it creates nothing more (the caller is told and removes the
// staging), but still hands every buffer back.
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { mkdirReal } from '../domain/io-errors.js';

/** A batch as write-thread.ts sends it. */
export interface WriteBatch {
  buf: ArrayBuffer;
  paths: string[];
  modes: number[];
  ends: number[];
}

/** The reply: the buffer back, and the first failure (as plain fields: an Error's own properties do not cross threads). */
export interface WriteReply {
  buf: ArrayBuffer;
  error?: { message: string; code?: string; syscall?: string; path?: string; errno?: number };
}

const made = new Set<string>();
let failed = false;

/** Create the files of one batch; the first failure, if any. */
function writeBatch(m: WriteBatch): WriteReply['error'] {
  const data = Buffer.from(m.buf);
  let at = 0;
  for (let i = 0; i < m.paths.length; i++) {
    const p = m.paths[i]!;
    const end = m.ends[i]!;
    try {
      const dir = p.slice(0, p.lastIndexOf('/'));
      if (!made.has(dir)) {
        mkdirReal(dir);
        made.add(dir);
      }
      const fd = openSync(p, 'wx', m.modes[i]);
      try {
        for (let off = at; off < end; ) off += writeSync(fd, data, off, end - off);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      failed = true;
      const err = e as NodeJS.ErrnoException;
      return { message: err.message, code: err.code, syscall: err.syscall, path: err.path === undefined ? p : err.path, errno: err.errno };
    }
    at = end;
  }
  return undefined;
}

parentPort!.on('message', (m: WriteBatch) => {
  const error = failed ? undefined : writeBatch(m);
  const reply: WriteReply = { buf: m.buf, ...(error ? { error } : {}) };
  parentPort!.postMessage(reply, [m.buf]);
});
