// The small-file packer (src/backup/pack.ts): the worker thread and this thread give the same
// CRC-32, SHA-256 and deflated bytes; zlib internals it reuses are still there; the worker stops.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { batchBuffer, BATCH_BYTES, Packer, zlibReuseProblem, type Batch, type Packed } from '../../src/backup/pack.js';

/** A batch of `files` (compress flag each) laid into one batch buffer. */
function batchOf(files: { data: Buffer; compress: boolean }[]): Batch {
  const buf = batchBuffer();
  const spans = new Uint32Array(3 * files.length);
  let at = 0;
  files.forEach((f, i) => {
    f.data.copy(buf, at);
    spans.set([at, f.data.length, f.compress ? 1 : 0], 3 * i);
    at += f.data.length;
  });
  return { buf, spans, count: files.length };
}

/** Check a packed batch against its inputs: CRC, SHA-256, and each deflated body inflates back. */
function expectPacked(p: Packed, files: { data: Buffer; compress: boolean }[]): void {
  let at = 0;
  files.forEach((f, i) => {
    expect(p.crc[i]).toBe(zlib.crc32(f.data));
    expect(Buffer.from(p.sha.subarray(32 * i, 32 * i + 32)).toString('hex')).toBe(createHash('sha256').update(f.data).digest('hex'));
    const len = p.lens[i]!;
    if (len < 0) return;
    expect(f.compress).toBe(true);
    expect(len).toBeLessThan(f.data.length);
    expect(zlib.inflateRawSync(p.out.subarray(at, at + len)).equals(f.data)).toBe(true);
    at += len;
  });
  expect(at).toBe(p.out.length);
}

const text = Buffer.from('export const value = require("module");\n'.repeat(400));
const sample = (): { data: Buffer; compress: boolean }[] => [
  { data: Buffer.alloc(0), compress: true }, // an empty file
  { data: Buffer.from('tiny'), compress: false }, // below 64 bytes: stored
  { data: text, compress: true },
  { data: randomBytes(5000), compress: true }, // incompressible: deflate does not shrink it, stored
  { data: text.subarray(7, 3000), compress: true },
  { data: Buffer.from('a png, say'), compress: false },
];

describe('Packer', () => {
  it("this Node's zlib still has the internals the packer reuses", () => {
    expect(zlibReuseProblem(zlib)).toBeUndefined();
  });

  it('packs on this thread and on the worker alike: CRC-32, SHA-256, deflated only when smaller', async () => {
    const files = sample();
    const here = new Packer(false);
    const mine = here.pack(batchOf(files));
    expect(mine).not.toBeInstanceOf(Promise);
    expectPacked(mine as Packed, files);
    const threaded = new Packer(true);
    try {
      expect(threaded.threaded).toBe(true);
      const theirs = await threaded.pack(batchOf(files));
      expectPacked(theirs, files);
      expect(Buffer.from(theirs.out).equals(Buffer.from((mine as Packed).out))).toBe(true);
      // The batch's memory came back whole from the worker, with the files' bytes in it.
      expect(theirs.buf.length).toBe(BATCH_BYTES);
      expect(theirs.buf.subarray(0, 4).equals(Buffer.from('tiny'))).toBe(true);
    } finally {
      await threaded.close();
      await here.close();
    }
  });

  it('the bundle (dist/) packs on its own worker file, dist/workers/pack-worker.js, as the sources do', async () => {
    // The CLI's bundle from the global setup: the chunk holding the Packer, imported as it is.
    const dist = process.env.ROLLOUT_TEST_DIST!;
    expect(existsSync(join(dist, 'workers', 'pack-worker.js'))).toBe(true);
    const chunk = readdirSync(join(dist, 'chunks')).find((f) => f.endsWith('.js') && readFileSync(join(dist, 'chunks', f), 'utf8').includes('startWorker("pack-worker"'));
    expect(chunk).toBeDefined();
    const mod = (await import(pathToFileURL(join(dist, 'chunks', chunk!)).href)) as Record<string, unknown>;
    const Bundled = Object.values(mod).find((v): v is typeof Packer => typeof v === 'function' && v.name === 'Packer');
    expect(Bundled).toBeDefined();
    const files = sample();
    const threaded = new Bundled!(true);
    try {
      expect(threaded.threaded).toBe(true);
      // A promise: the batch went to the worker (packing here returns the result itself).
      const pending = threaded.pack(batchOf(files));
      expect(pending).toBeInstanceOf(Promise);
      const theirs = await pending;
      expectPacked(theirs, files);
      expect(Buffer.from(theirs.out).equals(Buffer.from((new Packer(false).pack(batchOf(files)) as Packed).out))).toBe(true);
    } finally {
      await threaded.close();
    }
  });

  it('packs here once the worker has its fill, in order, and refuses work after close', async () => {
    const packer = new Packer(true, 1);
    const results: (Packed | Promise<Packed>)[] = [];
    const inputs: { data: Buffer; compress: boolean }[][] = [];
    try {
      for (let b = 0; b < 5; b++) {
        const files = Array.from({ length: 50 }, (_, i) => ({ data: Buffer.from(`batch ${b} file ${i} `.repeat(20 + i)), compress: true }));
        inputs.push(files);
        results.push(packer.pack(batchOf(files)));
      }
      // One batch went to the worker; the rest were packed right here, synchronously.
      expect(results.filter((r) => r instanceof Promise).length).toBe(1);
      const done = await Promise.all(results);
      done.forEach((p, b) => expectPacked(p, inputs[b]!));
    } finally {
      await packer.close();
    }
    expect(packer.threaded).toBe(false);
    expect(() => packer.pack(batchOf(sample()))).toThrow(/closed/);
  });
});
