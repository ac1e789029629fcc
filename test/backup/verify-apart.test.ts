// Given archives whose large deflated entries verify checks apart from its pass (inflated from a
// read of their own, started when the pass starts, so that one near the archive's end does not run
// alone at the end), when such an entry or a small one before or after it is damaged (with a valid
// .sha256, so only the entries' own checks can refuse the archive), then the entry named is the
// first bad one in file order, in the words the pass uses, whether the archive is hashed on a second
// thread or here; a good archive passes, every entry counted.
import { symlinkSync, unlinkSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ZipReader } from '../../src/backup/zip.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { inlineHasher, threadHasher, type ArchiveHasher } from '../../src/backup/thread-hash.js';
import { makeWorkspace } from '../helpers/cli.js';
import { packedArchive, refused, writeValidChecksum, wsOf, type PackedFile } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(() => ws.cleanup());

const base = 'deployments/staging/releases';
const MiB = 1024 * 1024;
type Damage = 'crc' | 'short' | 'long' | 'cut';

/** A file of `size` bytes of text (deflates well) numbered `i`, packed deflated, damaged as `damage` says. */
function file(i: number, size: number, damage?: Damage): PackedFile {
  const data = Buffer.from(`export const v${i} = ${i}; // ${'x'.repeat(i % 7)}\n`.repeat(1 + Math.floor(size / 20))).subarray(0, size);
  let crc = crc32(data);
  let declared = data.length;
  let body = deflateRawSync(data);
  if (damage === 'crc') crc = (crc ^ 0x5a5a) >>> 0;
  if (damage === 'short') declared -= 1;
  if (damage === 'long') declared += 1;
  if (damage === 'cut') body = body.subarray(0, body.length - 3);
  return { name: `${base}/f${i}.js`, data: Buffer.alloc(declared), crc, size: declared, body, method: 8 };
}

// The entries: 40 small, one large (a 12 MiB text: over the 8 MiB verify inflates whole), 40 small, one more large at the very end.
const LARGE = [40, 81];
function files(bad: Partial<Record<number, Damage>>): PackedFile[] {
  return Array.from({ length: 82 }, (_, i) => file(i, LARGE.includes(i) ? 12 * MiB + i : 3000 + i, bad[i]));
}

const hashers: [string, () => ArchiveHasher][] = [
  ['on a second thread', () => threadHasher(3, MiB)],
  ['on this thread', () => inlineHasher()],
];

describe.each(hashers)('large deflated entries checked apart from the pass (hashed %s)', (_name, hasher) => {
  it('a good archive passes, every entry counted', async () => {
    const p = await packedArchive(ws.root, base, files({}));
    let entries = 0;
    const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher, onProgress: (x) => (entries = x.entriesDone) });
    expect(r.ok).toBe(true);
    expect(entries).toBe(82);
  });

  const words: Record<Damage, RegExp> = {
    crc: /the CRC-32 of "[^"]+" does not match/,
    short: /is damaged \(it inflates to more bytes than it declares\)/,
    long: /is damaged \(it inflates to \d+ bytes, not the \d+ it declares\)/,
    cut: /is damaged \(/,
  };
  it.each(Object.keys(words) as Damage[])('a large entry damaged (%s) is named, in the pass\'s words', async (damage) => {
    const p = await packedArchive(ws.root, base, files({ 81: damage }));
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher }));
    expect(e.message).toContain(`"${base}/f81.js"`);
    expect(e.message).toMatch(words[damage]);
    expect(e.message).not.toMatch(/does not match its \.sha256/);
  });

  it('a small entry damaged before a damaged large one is the one named (the large one fails first in time)', async () => {
    const p = await packedArchive(ws.root, base, files({ 39: 'crc', 40: 'crc', 81: 'short' }));
    expect((await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher }))).message).toContain(`"${base}/f39.js"`);
  });

  it('a small entry damaged behind a long stored one is named before a large one whose stream is bad from its first bytes (the pass goes on checking what lies before a failure found apart)', async () => {
    // 24 MiB stored first: the pass reads it chunk by chunk while the large entry's own read fails
    // at once (its deflate stream starts with an invalid block type).
    const bytes = Buffer.alloc(24 * MiB, 7);
    const stored: PackedFile = { name: `${base}/f0.bin`, data: bytes, crc: crc32(bytes), size: bytes.length, body: bytes, method: 0 };
    const large = file(2, 12 * MiB);
    const garbage: PackedFile = { ...large, body: Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), large.body]) };
    const p = await packedArchive(ws.root, base, [stored, file(1, 3000, 'crc'), garbage]);
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher }));
    expect(e.message).toContain(`"${base}/f1.js"`);
    expect(e.message).toMatch(/the CRC-32 of "[^"]+" does not match/);
  });

  it('a damaged large entry before a damaged small one is the one named', async () => {
    const p = await packedArchive(ws.root, base, files({ 40: 'long', 41: 'crc', 81: 'crc' }));
    expect((await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher }))).message).toContain(`"${base}/f40.js"`);
  });
});

describe('large deflated entries checked apart read the very file the pass reads', () => {
  it('refuses an archive whose path is pointed at another file while its large entry is read apart, and back before the end', async () => {
    const good = file(1, 12 * MiB);
    const bad: PackedFile = { ...good, body: Buffer.from(good.body) };
    bad.body[0] = 0xff; // block type 3: the real archive's large entry cannot be inflated
    const real = await packedArchive(ws.root, base, [file(0, 3000), bad]);
    // (read alone, the real archive is refused for it)
    expect((await refused(verifyBackup(real, { ws: wsOf(ws.root), hasher: inlineHasher }))).message).toContain(`"${base}/f1.js" is damaged`);
    const other = await packedArchive(ws.root, base, [file(0, 3000), good]);
    // The backup's path is a link (a backups folder on another volume is one too), valid .sha256.
    const path = `${ws.root}/backups/dhash_staging_20261123_199999.zip`;
    symlinkSync(real, path);
    writeValidChecksum(ws.root, path);
    const point = (to: string): void => {
      unlinkSync(path);
      symlinkSync(to, path);
    };
    // Pointed at the other file as the entry's own read starts, and back once the pass is over.
    const dataStart = ZipReader.prototype.dataStart;
    const spy = vi.spyOn(ZipReader.prototype, 'dataStart').mockImplementationOnce(function (this: ZipReader, e) {
      point(other);
      return dataStart.call(this, e);
    });
    const inner = inlineHasher();
    const hasher = (): ArchiveHasher => ({
      ...inner,
      digest: () => {
        point(real);
        return inner.digest();
      },
    });
    try {
      const e = await refused(verifyBackup(path, { ws: wsOf(ws.root), hasher }));
      expect(spy).toHaveBeenCalled();
      expect(e.message).toMatch(/was changed or replaced while it was verified/);
    } finally {
      spy.mockRestore();
    }
  });
});
