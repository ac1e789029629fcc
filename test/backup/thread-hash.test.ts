// The archive's SHA-256 on a second thread (src/backup/thread-hash.ts): it must equal a plain
// SHA-256 of the file however the read buffers rotate, a flipped byte must still be refused
// through it, and a hashing thread that dies mid-verify must never turn into a pass: verify then
// hashes the file again on its own and decides from that.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/backup/checksum.js';
import { archiveHasher, passChunk, verifyBackup } from '../../src/backup/verify.js';
import { claimEntry, entryList, threadHasher, type ArchiveHasher } from '../../src/backup/thread-hash.js';
import { createBackup } from '../../src/usecases/backup.js';
import { ExitCode, RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { lyingDist } from '../helpers/lying-worker.js';
import { craftZip, deployTree, engine, manifestFor, writeValidChecksum, wsOf, put, type CraftEntry, refused } from './fixtures.js';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipWriter } from '../../src/backup/zip.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

// Small shared buffers: the archive below spans dozens of them, so each is reused many times.
const SMALL = 16 * 1024;

/** A thread hasher whose thread is terminated (a real stop of the thread) after `after` updates. */
function dying(after: number): () => ArchiveHasher {
  return () => {
    const h = threadHasher(3, SMALL);
    let n = 0;
    return {
      ...h,
      async update(chunk, index) {
        if (++n === after) await h.worker.terminate();
        return h.update(chunk, index);
      },
    };
  };
}

async function backup(): Promise<string> {
  // Incompressible, so that the archive is large next to the buffers.
  const noise = createHash('sha512');
  const parts: Buffer[] = [];
  for (let i = 0; i < 8000; i++) parts.push(noise.update(String(i)).copy().digest());
  deployTree(ws.root, 'staging', '1.0.0', { 'lib/noise.bin': Buffer.concat(parts), 'lib/text.js': 'const x = 1;\n'.repeat(20_000) });
  return (await createBackup(engine(ws.root), {})).path;
}


describe('the hashing thread', () => {
  it('gives the SHA-256 of the bytes handed to it, in order, across reused shared buffers', async () => {
    const h = threadHasher(3, SMALL);
    const plain = createHash('sha256');
    try {
      for (let k = 0; k < 40; k++) {
        const i = k % 3;
        // The caller's rule: a buffer is filled again only once its update resolved.
        const n = 1 + ((k * 7919) % SMALL);
        for (let j = 0; j < n; j++) h.buffers![i]![j] = (k * 31 + j) & 0xff;
        const chunk = h.buffers![i]!.subarray(0, n);
        plain.update(chunk);
        await h.update(chunk, i);
      }
      expect(await h.digest()).toBe(plain.digest('hex'));
    } finally {
      await h.close();
    }
  });

  it('hashed ahead of its update, a chunk counts once, in order; an update of another chunk or a second hashAhead is refused', async () => {
    const h = threadHasher(3, SMALL);
    const plain = createHash('sha256');
    try {
      for (let k = 0; k < 30; k++) {
        const i = k % 3;
        const n = 1 + ((k * 4099) % SMALL);
        for (let j = 0; j < n; j++) h.buffers![i]![j] = (k * 17 + j) & 0xff;
        const chunk = h.buffers![i]!.subarray(0, n);
        plain.update(chunk);
        // Every other chunk ahead (as verify does), the rest by update alone.
        if (k % 2 === 0) h.hashAhead!(chunk, i);
        await h.update(chunk, i);
      }
      expect(await h.digest()).toBe(plain.digest('hex'));
      h.hashAhead!(h.buffers![0]!.subarray(0, 10), 0);
      expect(() => h.hashAhead!(h.buffers![0]!.subarray(0, 10), 0)).toThrow(/already hashed ahead/);
      await expect(h.update(h.buffers![0]!.subarray(0, 11), 0)).rejects.toThrow(/not the chunk hashed ahead/);
    } finally {
      await h.close();
    }
  });

  it('entry lists: each entry is claimed exactly once, whichever thread claims it', () => {
    const l = entryList(4);
    expect(l.length).toBe(20);
    expect([claimEntry(l), claimEntry(l), claimEntry(l), claimEntry(l), claimEntry(l), claimEntry(l)]).toEqual([0, 1, 2, 3, -1, -1]);
    expect(claimEntry(entryList(0))).toBe(-1);
  });

  it('refuses a chunk that is not in the shared buffer it names (it would hash other bytes)', async () => {
    const h = threadHasher(2, SMALL);
    try {
      await expect(h.update(Buffer.alloc(10), 0)).rejects.toThrow(/not in the shared buffer/);
      await expect(h.update(h.buffers![1]!.subarray(0, 10), 0)).rejects.toThrow(/not in the shared buffer/);
    } finally {
      await h.close();
    }
  });

  it('a thread that stops rejects every waiting and later call with one sentence', async () => {
    const h = threadHasher(3, SMALL);
    await h.worker.terminate();
    await expect(h.update(h.buffers![0]!.subarray(0, 5), 0)).rejects.toThrow(/^the hashing thread stopped \(exit code \d+\)$/);
    await expect(h.digest()).rejects.toThrow(/the hashing thread stopped/);
    await h.close();
  });

  it('is used for large archives only, with 1 MiB buffers below 64 MiB (reused rather than fresh) and 4 MiB above', async () => {
    const small = archiveHasher(1024);
    const medium = archiveHasher(14 * 1024 * 1024);
    const large = archiveHasher(256 * 1024 * 1024);
    try {
      expect(small.buffers).toBeUndefined();
      expect(medium.buffers?.map((b) => b.length)).toEqual([1, 1, 1].map(() => 1024 * 1024));
      expect(large.buffers?.map((b) => b.length)).toEqual([1, 1, 1].map(() => 4 * 1024 * 1024));
      expect([passChunk(64 * 1024 * 1024 - 1), passChunk(64 * 1024 * 1024)]).toEqual([1024 * 1024, 4 * 1024 * 1024]);
    } finally {
      await small.close();
      await medium.close();
      await large.close();
    }
  });
});

describe('verify with the archive hashed on a second thread', () => {
  it('accepts a good backup with the same SHA-256 as a plain read, and refuses a flipped byte', async () => {
    const p = await backup();
    const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher: () => threadHasher(3, SMALL) });
    expect(r.sha256).toBe(await sha256File(p));
    expect(r.archiveBytes).toBeGreaterThan(20 * SMALL);
    const buf = readFileSync(p);
    buf[Math.floor(buf.length / 2)]! ^= 0x10;
    writeFileSync(p, buf);
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: () => threadHasher(3, SMALL) }));
    expect(e.message).toMatch(/does not match its \.sha256/);
  });

  it('a hashing thread that dies mid-verify: the file is hashed again, so a good backup passes and a flipped byte is still refused', async () => {
    const p = await backup();
    const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher: dying(5) });
    expect(r.sha256).toBe(await sha256File(p));
    const buf = readFileSync(p);
    // A byte far past where the thread died: only the second read sees it.
    buf[buf.length - 4000]! ^= 0x01;
    writeFileSync(p, buf);
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: dying(5) }));
    expect(e.message).toMatch(/does not match its \.sha256/);
  });

  it('still refuses a crafted archive with a valid .sha256 (an entry whose CRC-32 was changed)', async () => {
    const base = 'deployments/staging/releases';
    const entries = [{ name: `${base}/`, dir: true }, { name: `${base}/ok.txt`, data: 'fine '.repeat(4000), store: true }];
    const p = `${ws.root}/backups/dhash_staging_20261123_101520.zip`;
    put(ws.root, 'backups/dhash_staging_20261123_101520.zip', '');
    await craftZip(p, entries, manifestFor('staging', entries, [base]));
    // Change one stored byte of ok.txt, then give the archive a matching .sha256.
    const buf = readFileSync(p);
    const at = buf.indexOf('fine fine');
    buf[at] = 'F'.charCodeAt(0);
    writeFileSync(p, buf);
    writeValidChecksum(ws.root, p);
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: () => threadHasher(3, 1024) }));
    expect(e.message).toMatch(/the CRC-32 of "deployments\/staging\/releases\/ok\.txt" does not match/);
  });
});

describe('the built worker file', () => {
  it('verify run from the bundle (dist/) hashes on dist/workers/hash-worker.js: a copy whose worker lies about the digest is refused', async () => {
    // The CLI's bundle from the global setup, and a copy of it whose hash-worker.js reports a
    // wrong SHA-256: verify from the copy refuses a good backup, so the bundle's verify runs that
    // file (not an eval'd copy of the code), and what the thread says is still held to the .sha256.
    const dist = process.env.ROLLOUT_TEST_DIST!;
    const liar = lyingDist(join(ws.root, 'dist-liar'));
    const verifyFrom = async (d: string): Promise<typeof verifyBackup> => {
      const chunk = readdirSync(join(d, 'chunks')).find((f) => f.endsWith('.js') && readFileSync(join(d, 'chunks', f), 'utf8').includes('startWorker("hash-worker"'));
      expect(chunk).toBeDefined();
      const mod = (await import(pathToFileURL(join(d, 'chunks', chunk!)).href)) as Record<string, unknown>;
      const v = Object.values(mod).find((f): f is typeof verifyBackup => typeof f === 'function' && f.name === 'verifyBackup');
      expect(v).toBeDefined();
      return v!;
    };
    // Over 4 MiB: hashed on the second thread.
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/noise.bin': randomBytes(5 * 1024 * 1024), 'lib/text.js': 'const x = 1;\n'.repeat(20_000) });
    const p = (await createBackup(engine(ws.root), {})).path;
    const good = await (await verifyFrom(dist))(p, { ws: wsOf(ws.root) });
    expect(good.sha256).toBe(await sha256File(p));
    // (the bundle's own RefusedError class: held to its exit code, not to this module's class)
    const e = (await (await verifyFrom(liar))(p, { ws: wsOf(ws.root) }).then(
      () => undefined,
      (x: unknown) => x,
    )) as RefusedError | undefined;
    expect(e?.exitCode).toBe(ExitCode.refused);
    expect(e!.message).toMatch(/does not match its \.sha256 \(expected [0-9a-f]{12}…, found 000000000000…\)/);
  });
});

describe('small deflated entries checked on the hashing thread', () => {
  const base = 'deployments/staging/releases';
  /** An archive of `n` small JS-like files written by our writer; `bad` maps a file index to a body or CRC change. */
  async function many(n: number, bad: Record<number, { body?: (d: Buffer) => Buffer; crc?: number; size?: number }> = {}): Promise<string> {
    const entries: CraftEntry[] = [{ name: `${base}/`, dir: true }];
    const chunks: Buffer[] = [];
    const w = new ZipWriter(async (c) => void chunks.push(Buffer.from(c)));
    await w.addDirectory(base, { mtime: 0, mode: 0o40755 });
    for (let i = 0; i < n; i++) {
      const data = Buffer.from(`export const v${i} = ${i};\n`.repeat(20 + (i % 50)));
      const name = `${base}/f${i}.js`;
      const b = bad[i];
      const size = b?.size ?? data.length;
      entries.push({ name, data: data.subarray(0, size) });
      await w.addPacked(name, { mtime: 0, mode: 0o100644 }, { crc: b?.crc ?? crc32(data.subarray(0, size)), size, body: b?.body ? b.body(data) : deflateRawSync(data), method: 8 });
    }
    await w.addBuffer(Buffer.from(JSON.stringify(manifestFor('staging', entries, [base]))), 'manifest.json', { mtime: 0, mode: 0o100644 });
    await w.end();
    const p = `${ws.root}/backups/dhash_staging_20261123_101530.zip`;
    put(ws.root, 'backups/dhash_staging_20261123_101530.zip', Buffer.concat(chunks));
    writeValidChecksum(ws.root, p);
    return p;
  }
  /** A thread hasher that counts the entries it was handed. */
  function counting(size: number): { make: () => ArchiveHasher; handed: () => number } {
    let handed = 0;
    return {
      handed: () => handed,
      make: () => {
        const h = threadHasher(3, size);
        return {
          ...h,
          get pending() {
            return h.pending;
          },
          update(chunk, index, entries) {
            handed += (entries?.length ?? 0) / 5;
            return h.update(chunk, index, entries);
          },
        };
      },
    };
  }

  it('accepts a good archive with its entries inflated there, and refuses a wrong CRC-32, a bomb and a cut stream found there', async () => {
    const good = counting(64 * 1024);
    const p = await many(400);
    const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher: good.make });
    expect(r.entries).toBe(401);
    expect(r.sha256).toBe(await sha256File(p));
    // Most entries went to the thread (the rest were inflated here while it had two chunks waiting).
    expect(good.handed()).toBeGreaterThan(100);
    for (const [bad, why] of [
      [{ 250: { crc: 12345 } }, /the CRC-32 of "deployments\/staging\/releases\/f250\.js" does not match; the archive is damaged\.$/],
      [{ 251: { size: 10 } }, /"deployments\/staging\/releases\/f251\.js" is damaged \(it inflates to more bytes than it declares\)\.$/],
      [{ 252: { body: (d: Buffer) => deflateRawSync(d).subarray(0, 12) } }, /"deployments\/staging\/releases\/f252\.js" is damaged \(its deflate stream is cut short \(truncated\)\)\.$/],
    ] as const) {
      const q = await many(400, bad);
      const c = counting(64 * 1024);
      expect((await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: c.make }))).message).toMatch(why);
      expect(c.handed()).toBeGreaterThan(100);
    }
  });

  it('reports the first bad entry in file order, whichever thread found it', async () => {
    const p = await many(400, { 300: { crc: 1 }, 120: { crc: 2 }, 380: { size: 5 } });
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: () => threadHasher(3, 32 * 1024) }));
    expect(e.message).toMatch(/the CRC-32 of "deployments\/staging\/releases\/f120\.js" does not match/);
  });

  it('a thread that falls behind: this thread checks the entries it has not claimed (each once), and a bad one is still refused in file order', async () => {
    // Each update reaches the thread only after this thread had its turn to help, so this
    // thread claims (and checks) whole lists; the thread then finds nothing left to claim.
    let claimedHere = 0;
    const late = () => {
      const h = threadHasher(3, 32 * 1024);
      return {
        ...h,
        get pending() {
          return h.pending;
        },
        async update(chunk: Buffer, index: number, entries?: Float64Array) {
          await new Promise((r) => setTimeout(r, 30));
          if (entries && Atomics.load(new Int32Array(entries.buffer as SharedArrayBuffer, 0, 1), 0) >= entries.length / 5) claimedHere++;
          return h.update(chunk, index, entries);
        },
      };
    };
    const p = await many(400);
    const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher: late });
    expect(r.sha256).toBe(await sha256File(p));
    expect(claimedHere).toBeGreaterThan(0);
    const q = await many(400, { 390: { crc: 3 }, 200: { size: 7 } });
    const e = await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: late }));
    expect(e.message).toMatch(/"deployments\/staging\/releases\/f200\.js" is damaged \(it inflates to more bytes than it declares\)/);
  });

  it('a thread that dies with entries handed to it: they are checked here, so a bad one is still refused', async () => {
    const dyingWithJobs = (after: number) => () => {
      const h = threadHasher(3, 32 * 1024);
      let n = 0;
      return {
        ...h,
        get pending() {
          return h.pending;
        },
        async update(chunk: Buffer, index: number, entries?: Float64Array) {
          if (++n === after) await h.worker.terminate();
          return h.update(chunk, index, entries);
        },
      };
    };
    const p = await many(400);
    const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher: dyingWithJobs(2) });
    expect(r.sha256).toBe(await sha256File(p));
    const q = await many(400, { 350: { crc: 7 } });
    const e = await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: dyingWithJobs(2) }));
    expect(e.message).toMatch(/the CRC-32 of "deployments\/staging\/releases\/f350\.js" does not match/);
  });
});
