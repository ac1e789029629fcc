// A restore's large deflated entries (src/backup/copy-large.ts) are inflated piece by piece into
// reused buffers (PieceInflater, src/backup/inflate.ts): any data split anywhere comes out whole,
// and entries of several read chunks (1 MiB each) that are cut short, invalid, followed by bytes of
// their own, or longer than declared are refused; what is shorter than declared is counted
// exactly (the restore holds the count to the manifest).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { copyLarge, NotTheSameFile, type FileKey, type LargeEntry } from '../../src/backup/copy-large.js';
import { PieceInflater } from '../../src/backup/inflate.js';

/** Inflate `packed` through one PieceInflater, fed in `cuts` pieces with output room `rooms` (cycled); the bytes or the refusal. */
function pieces(packed: Buffer, declared: number, cuts: number[], rooms: number[]): Buffer | string {
  const inf = PieceInflater.open();
  if (!inf) throw new Error('no PieceInflater on this Node');
  const out: Buffer[] = [];
  let n = 0;
  let r = 0;
  try {
    const bounds = [...new Set([0, ...cuts.map((c) => Math.min(c, packed.length)), packed.length])].sort((a, b) => a - b);
    for (let k = 1; k < bounds.length || (k === 1 && bounds.length === 1); k++) {
      const chunk = packed.subarray(bounds[k - 1] ?? 0, bounds[k] ?? 0);
      const last = k >= bounds.length - 1;
      let off = 0;
      for (;;) {
        const want = Math.min(rooms[r++ % rooms.length]!, declared + 1 - n);
        const room = Buffer.alloc(want);
        const s = inf.step(chunk, off, chunk.length - off, room, want, last);
        if (!s.ok) return s.problem;
        off = chunk.length - s.inLeft;
        n += s.produced;
        out.push(room.subarray(0, s.produced));
        if (n > declared) return 'too-long';
        if (s.produced === want) continue;
        if (off < chunk.length) return 'trailing';
        break;
      }
    }
  } finally {
    inf.close();
  }
  return Buffer.concat(out);
}

describe('PieceInflater', () => {
  it('gives back any data whole, however its input and output are split', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 40_000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.array(fc.nat({ max: 50_000 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9_000 }), { minLength: 1, maxLength: 4 }),
        (raw, level, cuts, rooms) => {
          // Text-like (repetitive) and random halves: both long matches and stored blocks.
          const data = Buffer.concat([Buffer.from(raw), Buffer.from('export const x = 1;\n'.repeat(raw.length % 500))]);
          const packed = zlib.deflateRawSync(data, { level });
          const got = pieces(packed, data.length, cuts, rooms);
          expect(Buffer.isBuffer(got) && got.equals(data)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a stream cut short, an invalid one, and says when input is left after its end', () => {
    const data = Buffer.from('module.exports = 42;\n'.repeat(4000));
    const packed = zlib.deflateRawSync(data);
    for (const cut of [0, 1, packed.length >> 1, packed.length - 1]) expect(pieces(packed.subarray(0, cut), data.length, [cut >> 1], [4096]), `cut ${cut}`).toBe('truncated');
    expect(pieces(Buffer.from([0xff, 0xff, 0xff, 0xff]), 16, [], [64])).toBe('corrupt');
    expect(pieces(Buffer.concat([packed, Buffer.from('tail')]), data.length, [packed.length], [4096])).toBe('trailing');
    expect(pieces(Buffer.concat([packed, Buffer.from('tail')]), data.length, [], [4096])).toBe('trailing');
    expect(pieces(packed, data.length - 1, [100], [1000])).toBe('too-long');
  });

  it('is not offered when the zlib internals are missing (the restore then streams through zlib)', () => {
    const fake = { ...zlib, createInflateRaw: () => Object.assign(zlib.createInflateRaw(), { _handle: undefined }) } as typeof zlib;
    expect(PieceInflater.open(fake)).toBeUndefined();
  });
});

describe('copyLarge of a deflated entry over several read chunks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-copy-large-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // ~3.3 MiB compressed (random bytes deflate to stored blocks), so the 1 MiB reads split it.
  const data = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.from('const rows = [1, 2, 3];\n'.repeat(20_000)), randomBytes(300_000)]);
  const packed = zlib.deflateRawSync(data);
  /** An "archive" with 77 bytes before the entry and `after` after it; the entry as copyLarge sees it. */
  const archive = (body: Buffer, after = Buffer.alloc(0)): string => {
    const p = join(dir, 'a.zip');
    writeFileSync(p, Buffer.concat([Buffer.alloc(77, 1), body, after]));
    return p;
  };
  const entry = (compressedSize: number, uncompressedSize = data.length): LargeEntry => ({ start: 77, compressedSize, uncompressedSize, method: 8 });
  const refusal = async (zip: string, e: LargeEntry): Promise<string> => {
    const dest = { path: join(dir, 'out.bin'), mode: 0o640 };
    rmSync(dest.path, { force: true });
    try {
      await copyLarge(zip, e, dest, () => undefined);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('copies it exactly, with its size, CRC-32 and SHA-256, and its mode', async () => {
    expect(packed.length).toBeGreaterThan(3 * 1024 * 1024);
    const zip = archive(packed, Buffer.from('PK\x01\x02 the central directory would follow'));
    const dest = { path: join(dir, 'out.bin'), mode: 0o640 };
    let counted = 0;
    const got = await copyLarge(zip, entry(packed.length), dest, (n) => (counted += n));
    expect(readFileSync(dest.path).equals(data)).toBe(true);
    expect(statSync(dest.path).mode & 0o777).toBe(0o640);
    expect(got).toEqual({ n: data.length, crc: zlib.crc32(data), sha256: createHash('sha256').update(data).digest('hex') });
    expect(counted).toBe(data.length);
    // Only checked (no destination): the same figures.
    expect(await copyLarge(zip, entry(packed.length), undefined, () => undefined)).toEqual(got);
  });

  it('refuses it cut short, invalid, ending before its data does, or longer than declared', async () => {
    expect(await refusal(archive(packed.subarray(0, packed.length - 5)), entry(packed.length - 5))).toMatch(/cut short \(truncated\)/);
    expect(await refusal(archive(packed), entry(packed.length + 5))).toMatch(/cut short \(truncated\)/);
    const bad = Buffer.from(packed);
    bad[0] = 0xff; // block type 3: invalid
    expect(await refusal(archive(bad), entry(packed.length))).toMatch(/deflate stream is invalid/);
    const tail = randomBytes(1024 * 1024 + 10);
    expect(await refusal(archive(packed, tail), entry(packed.length + tail.length))).toMatch(/its deflate stream ends \d+ bytes before its data does/);
    expect(await refusal(archive(packed), entry(packed.length, data.length - 1))).toBe('it inflates to more bytes than it declares');
  });

  it('refuses stray bytes after the deflate stream through zlib\'s stream too (a Node without the piece-by-piece inflate)', async () => {
    const spy = vi.spyOn(PieceInflater, 'open').mockReturnValue(undefined);
    try {
      const tail = randomBytes(5);
      expect(await refusal(archive(packed, tail), entry(packed.length + tail.length))).toMatch(/its deflate stream ends 5 bytes before its data does/);
      // The same entry without them is copied whole.
      expect(await refusal(archive(packed), entry(packed.length))).toBe('accepted');
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('reads only the file it is held to (sameFileAs), through zlib\'s stream too', async () => {
    const zip = archive(packed);
    const key = (p: string): FileKey => {
      const st = statSync(p, { bigint: true });
      return { dev: st.dev, ino: st.ino };
    };
    const elsewhere = join(dir, 'elsewhere.bin');
    writeFileSync(elsewhere, 'another file');
    for (const stream of [false, true]) {
      const spy = stream ? vi.spyOn(PieceInflater, 'open').mockReturnValue(undefined) : undefined;
      try {
        expect((await copyLarge(zip, entry(packed.length), undefined, () => undefined, { sameFileAs: key(zip) })).n).toBe(data.length);
        await expect(copyLarge(zip, entry(packed.length), undefined, () => undefined, { sameFileAs: key(elsewhere) })).rejects.toBeInstanceOf(NotTheSameFile);
      } finally {
        spy?.mockRestore();
      }
    }
  });

  it('counts exactly what a stream shorter than declared gives (the restore holds that to the manifest)', async () => {
    const got = await copyLarge(archive(packed), entry(packed.length, data.length + 1000), undefined, () => undefined);
    expect(got.n).toBe(data.length);
  });

  it('creates nothing over an existing file (wx) and names the file when it cannot write', async () => {
    const zip = archive(packed);
    const dest = { path: join(dir, 'taken.bin'), mode: 0o644 };
    writeFileSync(dest.path, 'already here');
    await expect(copyLarge(zip, entry(packed.length), dest, () => undefined)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(dest.path, 'utf8')).toBe('already here');
    expect(existsSync(join(dir, 'out.bin'))).toBe(false);
  });
});

describe('copyLarge writing each piece while the next is read and checked', () => {
  let dir: string;
  let restore: (() => void) | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-copy-behind-'));
  });
  afterEach(() => {
    restore?.();
    restore = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Every FileHandle write waits `ms` first (and the `fail`-th one fails with ENOSPC), so that the
   * reads and checks run ahead of the writes: a piece written from a buffer already read (or
   * inflated) into again would leave other bytes in the file, under a size, CRC-32 and SHA-256 of
   * the right ones.
   */
  // The length of every write asked for (copyLarge writes in pieces of at most 64 KiB, as unzip does).
  let lengths: number[] = [];
  const slowWrites = async (ms: number, fail?: number): Promise<void> => {
    lengths = [];
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const write = proto.write;
    let calls = 0;
    proto.write = async function (this: unknown, ...a: unknown[]) {
      lengths.push(a[2] as number);
      await new Promise((r) => setTimeout(r, ms));
      if (++calls === fail) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      return write.apply(this, a);
    };
    restore = () => void (proto.write = write);
  };
  // 4.5 MiB: five read chunks, the last a part one.
  const data = randomBytes(4.5 * 1024 * 1024);
  /**
   * copyLarge of `data` as a `method` (0 stored, 8 deflated) entry of an archive, to out.bin, with
   * every write `ms` slow (and the `fail`-th failing): its promise (awaited by the caller) and the destination.
   */
  const copySlowly = async (method: 0 | 8, ms: number, fail?: number) => {
    const body = method === 0 ? data : zlib.deflateRawSync(data);
    const zip = join(dir, 'a.zip');
    writeFileSync(zip, Buffer.concat([Buffer.alloc(77, 1), body, Buffer.from('PK\x01\x02')]));
    await slowWrites(ms, fail);
    const dest = { path: join(dir, 'out.bin'), mode: 0o600 };
    return { dest, copy: copyLarge(zip, { start: 77, compressedSize: body.length, uncompressedSize: data.length, method }, dest, () => undefined) };
  };

  it.each([
    ['stored', 0],
    ['deflated', 8],
  ] as const)('a %s entry comes out exactly, from reused buffers, in writes of 64 KiB, with its checks of the bytes written', async (_what, method) => {
    const { dest, copy } = await copySlowly(method, 15);
    const got = await copy;
    expect(got).toEqual({ n: data.length, crc: zlib.crc32(data), sha256: createHash('sha256').update(data).digest('hex') });
    expect(readFileSync(dest.path).equals(data)).toBe(true);
    expect(Math.max(...lengths)).toBe(64 * 1024);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
  });

  it.each([
    ['stored', 0],
    ['deflated', 8],
  ] as const)('a %s entry whose write fails while the next piece is read: that failure, naming the file, and no write left running', async (_what, method) => {
    const { dest, copy } = await copySlowly(method, 5, 2);
    await expect(copy).rejects.toMatchObject({ code: 'ENOSPC', path: dest.path });
    // Closed once nothing more is written to it: its size no longer changes.
    const size = statSync(dest.path).size;
    await new Promise((r) => setTimeout(r, 50));
    expect(statSync(dest.path).size).toBe(size);
    expect(size).toBeLessThan(data.length);
  });
});
