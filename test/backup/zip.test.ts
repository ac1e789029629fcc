// The zip adapter's contract (src/backup/zip.ts): archives our writer produces are read back by
// yauzl through our reader and accepted by Info-ZIP `unzip -t`, ZIP64 included; our
// central-directory parser agrees with yauzl's own on archives of every writer we meet; and the
// yauzl internals the reader relies on are still there. If a yauzl upgrade changes them, the
// "yauzl internals" test fails naming what changed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZipReader, ZipWriter, yauzlProblem, type ZipEntry } from '../../src/backup/zip.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-zip-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mtime = new Date(2026, 10, 23, 10, 15, 42);

async function write(path: string, fill: (z: ZipWriter) => Promise<void>): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const z = new ZipWriter(async (chunk) => {
      await fh.write(chunk);
    });
    await fill(z);
    await z.end();
  } finally {
    await fh.close();
  }
}

function unzipT(path: string): { status: number | null; out: string } {
  const r = spawnSync('unzip', ['-tq', path], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const hasUnzip = spawnSync('sh', ['-c', 'command -v unzip']).status === 0;

describe('ZipWriter + ZipReader', () => {
  it('writes folders, small and streamed entries (deflated and stored) that yauzl and unzip -t read back exactly', async () => {
    const p = join(dir, 'a.zip');
    const text = Buffer.from('const answer = 42;\n'.repeat(500));
    const noise = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 2654435761) >>> 24));
    await write(p, async (z) => {
      await z.addDirectory('app', { mtime, mode: 0o040755 });
      await z.addBuffer(text, 'app/main.js', { mtime, mode: 0o100644 });
      await z.addBuffer(Buffer.from('../x'), 'app/link', { mtime, mode: 0o120777, compress: false });
      await z.addBuffer(Buffer.alloc(0), 'app/empty', { mtime, mode: 0o100600 });
      await z.addStream('app/big.bin', { mtime, mode: 0o100755, compress: false, sizeHint: noise.length }, Readable.from([noise.subarray(0, 1 << 20), noise.subarray(1 << 20)]));
      await z.addStream('app/big.txt', { mtime, mode: 0o100644, sizeHint: text.length * 40 }, Readable.from(Array.from({ length: 40 }, () => text)));
      await z.addStream('app/forced64.txt', { mtime, mode: 0o100644, sizeHint: 2 ** 33 }, [text]);
    });
    const r = await ZipReader.open(p);
    try {
      const entries = await r.entries(100);
      expect(entries.map((e) => e.name)).toEqual(['app/', 'app/main.js', 'app/link', 'app/empty', 'app/big.bin', 'app/big.txt', 'app/forced64.txt']);
      const by = new Map(entries.map((e) => [e.name, e]));
      expect(by.get('app/main.js')).toMatchObject({ compressionMethod: 8, uncompressedSize: text.length, crc32: crc32(text) >>> 0, unixType: 0o100000 });
      expect(by.get('app/link')).toMatchObject({ compressionMethod: 0, unixType: 0o120000 });
      expect(by.get('app/big.bin')).toMatchObject({ compressionMethod: 0, uncompressedSize: noise.length, crc32: crc32(noise) >>> 0 });
      expect(by.get('app/big.txt')!.compressedSize).toBeLessThan(text.length * 40);
      expect((await r.small(by.get('app/main.js')!)).equals(text)).toBe(true);
      expect((await r.small(by.get('app/link')!)).toString()).toBe('../x');
      expect((await r.small(by.get('app/forced64.txt')!)).equals(text)).toBe(true);
      const chunks: Buffer[] = [];
      for await (const c of await r.stream(by.get('app/big.txt')!)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(Buffer.concat(Array.from({ length: 40 }, () => text)))).toBe(true);
    } finally {
      await r.close();
    }
    if (hasUnzip) expect(unzipT(p)).toMatchObject({ status: 0 });
  });

  it('compressedDirect reads every entry as compressed() does, and refuses an entry whose data the file cuts short', async () => {
    const p = join(dir, 'd.zip');
    const text = Buffer.from('export const answer = 42;\n'.repeat(40_000));
    await write(p, async (z) => {
      await z.addBuffer(Buffer.from('tiny'), 'a/tiny.txt', { mtime, mode: 0o100644 });
      await z.addBuffer(text, 'a/big.js', { mtime, mode: 0o100644 });
      await z.addBuffer(Buffer.from('../x'), 'a/link', { mtime, mode: 0o120777, compress: false });
    });
    const r = await ZipReader.open(p);
    let big: ZipEntry;
    try {
      const entries = await r.entries(10);
      for (const e of entries) expect((await r.compressedDirect(e)).equals(await r.compressed(e)), e.name).toBe(true);
      big = entries.find((e) => e.name === 'a/big.js')!;
    } finally {
      await r.close();
    }
    // The same central directory over a file whose big entry ends early: the reader is opened
    // on the whole file, then the file is cut in the middle of that entry's data.
    const whole = readFileSync(p);
    const cut = join(dir, 'cut.zip');
    writeFileSync(cut, whole);
    const rc = await ZipReader.open(cut);
    try {
      writeFileSync(cut, whole.subarray(0, big.offset + 30 + big.nameBytes + 10));
      await expect(rc.compressedDirect(big)).rejects.toThrow(/truncated/);
      writeFileSync(cut, whole.subarray(0, big.offset + 12));
      await expect(rc.compressedDirect(big)).rejects.toThrow(/truncated/);
    } finally {
      await rc.close();
    }
  });

  it('writes ZIP64 end records past 65535 entries, read back by yauzl and unzip -t', async () => {
    const p = join(dir, 'many.zip');
    const n = 70_000;
    await write(p, async (z) => {
      // (compress: false: deflate never makes these few digits smaller, so they were stored anyway;
      // asking for it cost 70k deflate calls, ~1.3 s of CPU)
      for (let i = 0; i < n; i++) await z.addBuffer(Buffer.from(String(i)), `f/${i}`, { mtime, mode: 0o100644, compress: false });
    });
    const r = await ZipReader.open(p);
    try {
      expect(r.entryCount).toBe(n);
      const entries = await r.entries(n);
      expect(entries).toHaveLength(n);
      expect((await r.small(entries[n - 1]!)).toString()).toBe(String(n - 1));
    } finally {
      await r.close();
    }
    if (hasUnzip) expect(unzipT(p)).toMatchObject({ status: 0 });
  });

  it('reads archives written by yazl (backups taken before the writer changed)', async () => {
    const yazl = (await import('yazl')).default;
    const p = join(dir, 'yazl.zip');
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from('hello'), 'a/b.txt', { mode: 0o100644 });
    z.addEmptyDirectory('a/c');
    z.end();
    const parts: Buffer[] = [];
    for await (const c of z.outputStream) parts.push(c as Buffer);
    writeFileSync(p, Buffer.concat(parts));
    const r = await ZipReader.open(p);
    try {
      const entries = await r.entries(10);
      expect(entries.map((e) => e.name)).toEqual(['a/b.txt', 'a/c/']);
      expect((await r.small(entries[0]!)).toString()).toBe('hello');
    } finally {
      await r.close();
    }
  });

  it('refuses more entries than allowed while reading the central directory', async () => {
    const p = join(dir, 'n.zip');
    await write(p, async (z) => {
      for (let i = 0; i < 5; i++) await z.addBuffer(Buffer.from('x'), `f${i}`, { mtime, mode: 0o100644 });
    });
    const r = await ZipReader.open(p);
    try {
      await expect(r.entries(3)).rejects.toThrow(/more than 3 entries/);
    } finally {
      await r.close();
    }
  });
});

/** Every entry as yauzl's own readEntry() parses it, in the shape of our ZipEntry. */
async function yauzlEntries(p: string): Promise<ZipEntry[]> {
  // From the file's bytes in memory, the same parse: read from the file, yauzl makes a few small
  // reads per entry, and its 70k entries took 6.4 s of the 30 s test timeout (15 s at load 7).
  const zf = await yauzl.fromBufferPromise(readFileSync(p), { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  const out: ZipEntry[] = [];
  for await (const e of zf.eachEntry() as AsyncIterable<yauzl.Entry>) {
    out.push({
      name: yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, e.fileNameRaw as Buffer, e.extraFields, true),
      nameBytes: e.fileNameLength,
      compressionMethod: e.compressionMethod,
      compressedSize: e.compressedSize,
      uncompressedSize: e.uncompressedSize,
      crc32: e.crc32 >>> 0,
      offset: e.relativeOffsetOfLocalHeader,
      encrypted: e.isEncrypted(),
      unixType: e.versionMadeBy >> 8 === 3 ? (e.externalFileAttributes >>> 16) & 0o170000 : 0,
    });
  }
  return out;
}

async function ours(p: string): Promise<ZipEntry[]> {
  const r = await ZipReader.open(p);
  try {
    return await r.entries(1_000_000);
  } finally {
    await r.close();
  }
}

const hasZip = spawnSync('sh', ['-c', 'command -v zip']).status === 0;

describe('the central-directory parser', () => {
  it('agrees with yauzl on our archives (ZIP64 records and end records included)', async () => {
    const p = join(dir, 'ours.zip');
    const text = Buffer.from('let x = 1;\n'.repeat(300));
    await write(p, async (z) => {
      await z.addDirectory('d', { mtime, mode: 0o040755 });
      await z.addBuffer(text, 'd/ä ö.js', { mtime, mode: 0o100644 });
      await z.addBuffer(Buffer.from('x'), 'd/link', { mtime, mode: 0o120777, compress: false });
      await z.addStream('d/forced64.txt', { mtime, mode: 0o100644, sizeHint: 2 ** 33 }, [text]);
      // (stored, as deflate would leave them: see the ZIP64 test above)
      for (let i = 0; i < 70_000; i++) await z.addBuffer(Buffer.from(String(i)), `f/${i}`, { mtime, mode: 0o100644, compress: false });
    });
    const got = await ours(p);
    expect(got).toHaveLength(70_004);
    expect(got.find((e) => e.name === 'd/forced64.txt')).toMatchObject({ uncompressedSize: text.length });
    expect(got).toEqual(await yauzlEntries(p));
  });

  it.skipIf(!hasZip)('agrees with yauzl on Info-ZIP zip archives (extra fields, non-UTF-8 flag, stored and deflated)', async () => {
    const src = join(dir, 'src');
    spawnSync('mkdir', ['-p', join(src, 'a', 'b')]);
    writeFileSync(join(src, 'a', 'one.txt'), 'hello '.repeat(1000));
    writeFileSync(join(src, 'a', 'b', 'two.bin'), Buffer.from([1, 2, 3]));
    writeFileSync(join(src, 'a', 'naïve.txt'), 'x');
    const p = join(dir, 'info.zip');
    expect(spawnSync('zip', ['-q', '-r', '-y', p, 'a'], { cwd: src }).status).toBe(0);
    const got = await ours(p);
    // (Whether zip marks the non-ASCII name as UTF-8 depends on its locale: either way both agree.)
    expect(got.map((e) => e.name).filter((n) => !n.startsWith('a/na')).sort()).toEqual(['a/', 'a/b/', 'a/b/two.bin', 'a/one.txt']);
    expect(got).toHaveLength(5);
    expect(got).toEqual(await yauzlEntries(p));
  });

  it('refuses what yauzl refuses: a bad record signature, a cut central directory, a stored entry whose sizes disagree', async () => {
    const p = join(dir, 'c.zip');
    await write(p, async (z) => {
      await z.addBuffer(Buffer.from('aaaa'), 'a', { mtime, mode: 0o100644, compress: false });
      await z.addBuffer(Buffer.from('bbbb'), 'b', { mtime, mode: 0o100644, compress: false });
    });
    const good = readFileSync(p);
    const cd = good.readUInt32LE(good.length - 22 + 16);
    const variant = (name: string, edit: (b: Buffer) => void): string => {
      const b = Buffer.from(good);
      edit(b);
      const q = join(dir, name);
      writeFileSync(q, b);
      return q;
    };
    // The second record's signature.
    const second = cd + 46 + 1;
    const badSig = variant('sig.zip', (b) => b.writeUInt32LE(0x02014b51, second));
    await expect(ours(badSig)).rejects.toThrow(/invalid central directory file header signature/);
    await expect(yauzlEntries(badSig)).rejects.toThrow(/invalid central directory file header signature/);
    // The first record claims a name longer than the central directory holds.
    const cut = variant('cut.zip', (b) => b.writeUInt16LE(60_000, cd + 28));
    await expect(ours(cut)).rejects.toThrow(/unexpected EOF|signature/);
    await expect(yauzlEntries(cut)).rejects.toThrow(/unexpected EOF|signature/);
    const sizes = variant('sizes.zip', (b) => b.writeUInt32LE(5, cd + 24));
    await expect(ours(sizes)).rejects.toThrow(/size mismatch for stored file/);
    await expect(yauzlEntries(sizes)).rejects.toThrow(/size mismatch for stored file/);
    const strong = variant('strong.zip', (b) => b.writeUInt16LE(0x41, cd + 8));
    await expect(ours(strong)).rejects.toThrow(/strong encryption/);
  });
});

describe('yauzl internals the reader relies on', () => {
  it('are all present with the expected types (fails naming what an upgrade changed)', async () => {
    const p = join(dir, 'one.zip');
    await write(p, async (z) => z.addBuffer(Buffer.from('x'), 'x.txt', { mtime, mode: 0o100644 }));
    const zf = await yauzl.openPromise(p, { lazyEntries: true, decodeStrings: false, autoClose: false });
    try {
      expect(yauzlProblem(zf)).toBeUndefined();
      // readEntryCursor is where the central directory starts: the offset the end record names.
      const b = readFileSync(p);
      expect((zf as unknown as { readEntryCursor: number }).readEntryCursor).toBe(b.readUInt32LE(b.length - 22 + 16));
    } finally {
      zf.close();
    }
    // The end records are read only through the reader's read(): our block cache serves them.
    const size = statSync(p).size;
    let reads = 0;
    const reader = new (yauzl.RandomAccessReader as unknown as new () => yauzl.RandomAccessReader)();
    const fh = await open(p, 'r');
    reader.read = (buffer, offset, length, position, cb) => {
      reads++;
      fh.read(buffer, offset, length, position).then(({ bytesRead }) => (cb as (e: Error | null, n?: number) => void)(null, bytesRead), cb);
    };
    reader.close = (cb) => cb(null);
    const count = await new Promise<number>((resolve, reject) => {
      yauzl.fromRandomAccessReader(reader, size, { lazyEntries: true, decodeStrings: false, autoClose: false }, (err, z) => (err ? reject(err) : resolve(z.entryCount)));
    });
    await fh.close();
    expect(count).toBe(1);
    expect(reads).toBeGreaterThan(0);
    // Strict names: a backslash is kept as is, for our own checks to refuse.
    expect(yauzl.getFileNameLowLevel(0x800, Buffer.from('a\\b'), [], true)).toBe('a\\b');
  });
});
