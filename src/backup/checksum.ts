// SHA-256 of files, streamed, and the `.sha256` companion file in exact `sha256sum` format, so
// that `sha256sum -c backups/X.zip.sha256` works from the workspace root as in the seeds.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RefusedError } from '../domain/errors.js';

/** Streamed SHA-256 (hex) of a file on this thread; memory stays flat whatever the size. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

// Runs in a worker thread so that hashing the whole archive overlaps the per-entry checks on the
// main thread (two passes over the data at the cost of one). It can also take the CRC-32 of byte
// ranges it passes over (the data of large stored entries), to share the work between the two
// cores. Plain CommonJS text: the CLI is one esbuild bundle, so the worker cannot be its own file.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
try {
  const h = crypto.createHash('sha256');
  const ranges = workerData.ranges;
  const crcs = ranges.map(() => 0);
  const fd = fs.openSync(workerData.path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let n, done = 0, last = 0, r = 0;
  try {
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
      const chunk = buf.subarray(0, n);
      h.update(chunk);
      const end = done + n;
      while (r < ranges.length && ranges[r].start + ranges[r].size <= done) r++;
      for (let k = r; k < ranges.length && ranges[k].start < end; k++) {
        const a = Math.max(ranges[k].start, done) - done;
        const b = Math.min(ranges[k].start + ranges[k].size, end) - done;
        if (b > a) crcs[k] = zlib.crc32(chunk.subarray(a, b), crcs[k]);
      }
      done = end;
      if (done - last >= 16 << 20) { parentPort.postMessage({ progress: done }); last = done; }
    }
  } finally { fs.closeSync(fd); }
  parentPort.postMessage({ hash: h.digest('hex'), bytes: done, crcs });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message || e) });
}
`;

/** A byte range of a file whose CRC-32 the hashing worker takes on the way. */
export interface CrcRange {
  start: number;
  size: number;
}

/** SHA-256 of a file hashed in a worker thread (plus the CRC-32 of sorted, disjoint ranges); `onProgress` gets the bytes hashed so far. */
export function sha256FileInWorker(path: string, onProgress?: (bytes: number) => void, ranges: CrcRange[] = []): Promise<{ hash: string; bytes: number; crcs: number[] }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, ranges } });
    let settled = false;
    w.on('message', (m: { progress?: number; hash?: string; bytes?: number; crcs?: number[]; error?: string }) => {
      if (m.progress !== undefined) onProgress?.(m.progress);
      else if (m.error !== undefined) {
        settled = true;
        reject(new Error(m.error));
      } else if (m.hash !== undefined) {
        settled = true;
        resolve({ hash: m.hash, bytes: m.bytes ?? 0, crcs: m.crcs ?? [] });
      }
    });
    w.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    w.on('exit', () => {
      if (!settled) reject(new Error('the hashing worker stopped early'));
    });
  });
}

/** The line of a `.sha256` file: `<64 hex>  <workspace-relative path>` and a newline. */
export function checksumLine(hash: string, relPath: string): string {
  return `${hash}  ${relPath}\n`;
}

/** The parsed content of a `.sha256` file. */
export interface ChecksumFile {
  hash: string;
  name: string;
}

/** Read and check the `.sha256` beside `zipPath`; refuses (exit 3) when missing or malformed. */
export function readChecksumFile(zipPath: string, display: string): ChecksumFile {
  const p = `${zipPath}.sha256`;
  if (!existsSync(p)) throw new RefusedError(`${display}.sha256 is missing, so the integrity of ${display} cannot be checked.`, ['Take a fresh backup: rollout backup --env ENV']);
  if (statSync(p).size > 4096) throw new RefusedError(`${display}.sha256 is malformed: expected one line "<64 hex digits>  <path>", found a file of ${statSync(p).size} bytes.`);
  const text = readFileSync(p, 'utf8');
  const lines = text.split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
  const m = lines.length === 1 ? /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(lines[0]!.replace(/\r$/, '')) : null;
  if (!m) throw new RefusedError(`${display}.sha256 is malformed: expected one line "<64 hex digits>  <path>" (sha256sum format).`);
  const name = m[2]!;
  if (basename(name.replaceAll('\\', '/')) !== basename(zipPath)) {
    throw new RefusedError(`${display}.sha256 names "${name}", not ${basename(zipPath)}: it belongs to another file.`);
  }
  return { hash: m[1]!.toLowerCase(), name };
}
