// Given archives whose deflated entries are as large as verify still reads whole (1 MiB
// compressed, the size of its read chunks below 64 MiB), placed so that they start anywhere
// around a chunk boundary, when verify runs with its real chunk size and hashing thread, then a
// good archive passes and a damaged entry is the one named.
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBackup } from '../../src/backup/verify.js';
import { inlineHasher, threadHasher } from '../../src/backup/thread-hash.js';
import { RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { packedArchive, wsOf, type PackedFile } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(() => ws.cleanup());

const MiB = 1024 * 1024;
const base = 'deployments/staging/releases';

/** Incompressible bytes of `n` (deflate stores them in blocks: a few bytes larger). */
function noise(seed: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let k = 0; k * 64 < n; k++) parts.push(createHash('sha512').update(`${seed}/${k}`).digest());
  return Buffer.concat(parts).subarray(0, n);
}

const bigs = new Map<number, { data: Buffer; packed: Buffer }>();
/** Incompressible data whose deflate is as close to 1 MiB as it gets without passing it (made once per i). */
function big(i: number): { data: Buffer; packed: Buffer } {
  let b = bigs.get(i);
  if (!b) {
    const all = noise(`big${i}`, MiB + 4096);
    let n = MiB - 1024;
    let packed = deflateRawSync(all.subarray(0, n));
    for (;;) {
      const next = deflateRawSync(all.subarray(0, n + 1));
      if (next.length > MiB) break;
      n += Math.max(1, Math.floor((MiB - next.length) / 2));
      packed = deflateRawSync(all.subarray(0, n));
      if (packed.length > MiB) throw new Error('overshot');
    }
    b = { data: all.subarray(0, n), packed };
    bigs.set(i, b);
  }
  return b;
}

/** An archive: a stored filler of `pad` bytes, then `count` deflated entries of exactly 1 MiB compressed, then small ones; entry `bad` gets a wrong CRC-32. */
async function archive(pad: number, count: number, bad: number | undefined): Promise<string> {
  const files: Omit<PackedFile, 'crc' | 'size'>[] = [];
  const filler = noise('pad', pad);
  files.push({ name: `${base}/pad.bin`, data: filler, body: filler, method: 0 });
  for (let i = 0; i < count; i++) {
    const b = big(i);
    files.push({ name: `${base}/big${i}.js`, data: b.data, body: b.packed, method: 8 });
  }
  for (let i = 0; i < 40; i++) {
    const data = Buffer.from(`export const v${i} = ${i};\n`.repeat(20 + i));
    files.push({ name: `${base}/s${i}.js`, data, body: deflateRawSync(data), method: 8 });
  }
  return packedArchive(
    ws.root,
    base,
    files.map((f, i) => ({ ...f, size: f.data.length, crc: i === bad ? (crc32(f.data) ^ 0x5a5a) >>> 0 : crc32(f.data) })),
  );
}

describe('verify at its real chunk size, entries as large as it reads whole', () => {
  // The first 1 MiB-compressed entry starts before, at and after the first chunk boundary.
  const pads = [0, MiB - 2000, MiB - 200, MiB - 60, MiB - 1, MiB, MiB + 1, MiB + 500, 2 * MiB - 100];
  it.each(pads)('passes a good archive (filler %i bytes)', async (pad) => {
    const p = await archive(pad, 3, undefined);
    expect(big(0).packed.length).toBeGreaterThan(MiB - 16);
    expect(big(0).packed.length).toBeLessThanOrEqual(MiB);
    await expect(verifyBackup(p, { ws: wsOf(ws.root) })).resolves.toBeDefined();
  }, 60_000);
  it.each(pads)('names the damaged large entry (filler %i bytes)', async (pad) => {
    const p = await archive(pad, 3, 2);
    const r = await verifyBackup(p, { ws: wsOf(ws.root) }).then(() => undefined, (e: unknown) => e as Error);
    expect(r).toBeInstanceOf(RefusedError);
    expect(r!.message).toContain(`"${base}/big1.js"`);
  }, 60_000);
});

describe('a local header across the first chunk boundary', () => {
  // A small entry whose local header (30 fixed bytes, all that verify reads of it) starts k
  // bytes before the first 1 MiB chunk ends: verify reads those bytes on their own. A good
  // archive passes and a wrong CRC-32 of that entry is the one named, with the hash on this
  // thread and on the hashing thread.
  const name = `${base}/edge.js`;
  const data = Buffer.from('export const edge = 1;\n'.repeat(30));
  const edgeArchive = async (pad: number, bad: boolean): Promise<string> =>
    packedArchive(ws.root, base, [
      { name: `${base}/pad.bin`, data: noise('edge', pad), body: noise('edge', pad), method: 0, size: pad, crc: crc32(noise('edge', pad)) },
      { name, data, body: deflateRawSync(data), method: 8, size: data.length, crc: bad ? (crc32(data) ^ 1) >>> 0 : crc32(data) },
    ]);
  /** Where the edge entry's local header starts in an archive made with a filler of `pad` bytes. */
  const headerAt = async (pad: number): Promise<number> => {
    const { ZipReader } = await import('../../src/backup/zip.js');
    const r = await ZipReader.open(await edgeArchive(pad, false));
    try {
      return (await r.entries(10)).find((e) => e.name === name)!.offset;
    } finally {
      await r.close();
    }
  };
  const hashers = { 'this thread': inlineHasher, 'the hashing thread': () => threadHasher(3, MiB) };
  it.each([1, 2, 15, 29, 30, 31])('the header starts %i bytes before the boundary', async (k) => {
    const p0 = MiB - 4096;
    const pad = p0 + (MiB - k - (await headerAt(p0)));
    expect(await headerAt(pad)).toBe(MiB - k);
    for (const [what, hasher] of Object.entries(hashers)) {
      await expect(verifyBackup(await edgeArchive(pad, false), { ws: wsOf(ws.root), hasher }), what).resolves.toBeDefined();
      const e = await verifyBackup(await edgeArchive(pad, true), { ws: wsOf(ws.root), hasher }).then(() => undefined, (x: unknown) => x as Error);
      expect(e, what).toBeInstanceOf(RefusedError);
      expect(e!.message, what).toContain(`the CRC-32 of "${name}" does not match`);
    }
  }, 60_000);
});
