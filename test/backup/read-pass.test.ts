// Verify's read pass (src/backup/read-pass.ts): for an archive whose entries are all small, the
// hashing thread reads the file itself and checks entries from the front while this thread checks
// the manifest, then this thread claims entries from the back. It must refuse exactly what the
// streaming pass refuses, with the same words, the first bad entry in file order whichever thread
// found it; every entry checked once; and a thread that dies, or a file changed or cut short while
// it is read, must never turn into a pass.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { readFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32, deflateRawSync } from 'node:zlib';
import { sha256File } from '../../src/backup/checksum.js';
import { archiveHasher, verifyBackup } from '../../src/backup/verify.js';
import { DEFAULT_LIMITS } from '../../src/backup/limits.js';
import { threadHasher, type ArchiveHasher } from '../../src/backup/thread-hash.js';
import { frontPass, passShare, type PassShare } from '../../src/backup/read-pass.js';
import { RawInflater } from '../../src/backup/inflate.js';
import { createBackup } from '../../src/usecases/backup.js';
import { makeWorkspace } from '../helpers/cli.js';
import { lyingDist } from '../helpers/lying-worker.js';
import { craftZip, deployTree, engine, manifestFor, packedArchive, put, writeValidChecksum, wsOf, type CraftEntry, type PackedFile, refused } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

const base = 'deployments/staging/releases';

/** `n` small JS-like files (deflated by the tool's writer); `bad` changes a file's CRC-32, declared size or body. */
function files(n: number, bad: Record<number, { body?: (d: Buffer) => Buffer; crc?: number; size?: number }> = {}): PackedFile[] {
  return Array.from({ length: n }, (_, i) => {
    const data = Buffer.from(`export const v${i} = ${i};\n`.repeat(20 + (i % 50)));
    const b = bad[i];
    const size = b?.size ?? data.length;
    return { name: `${base}/f${i}.js`, data: data.subarray(0, size), crc: b?.crc ?? crc32(data.subarray(0, size)), size, body: b?.body ? b.body(data) : deflateRawSync(data), method: 8 as const };
  });
}


/** A read-pass hasher whose passes are recorded (their shared claims, and when the thread started its share). */
function recorded(o: { before?: (s: PassShare, h: ReturnType<typeof threadHasher>) => Promise<void> | void } = {}): { make: () => ArchiveHasher; shares: PassShare[] } {
  const shares: PassShare[] = [];
  return {
    shares,
    make: () => {
      const h = threadHasher(3, 64 * 1024, { readPass: true });
      return {
        ...h,
        get pending() {
          return h.pending;
        },
        async readPass(s: PassShare) {
          shares.push(s);
          await o.before?.(s, h);
          return h.readPass!(s);
        },
      };
    },
  };
}

/** Hold the thread's share back until this thread has claimed from the back (its back pass runs to its end in one turn). */
const afterBackPass = (s: PassShare): Promise<void> =>
  new Promise((resolve) => {
    const iv = setInterval(() => {
      if (Atomics.load(s.claims, s.claims.length - 1) !== 0) {
        clearInterval(iv);
        resolve();
      }
    }, 2);
  });

describe('the read pass (all entries small, the hashing thread reads the file)', () => {
  it('is what verify uses for such an archive: the same SHA-256 as a plain read, every entry claimed exactly once', async () => {
    const p = await packedArchive(ws.root, base, files(600));
    const r = recorded();
    const v = await verifyBackup(p, { ws: wsOf(ws.root), hasher: r.make });
    expect(v.sha256).toBe(await sha256File(p));
    expect(v.entries).toBe(601);
    expect(r.shares).toHaveLength(1);
    const claims = [...r.shares[0]!.claims];
    expect(claims).toHaveLength(600);
    expect(claims.every((c) => c === 1 || c === 2)).toBe(true);
    // The thread's claims are a prefix, this thread's a suffix.
    expect(claims.join('')).toMatch(/^1*2*$/);
  });

  it('the default hasher takes it for archives from 4 MiB whose entries are all small, and not below 4 MiB', async () => {
    const small = archiveHasher(1024);
    const large = archiveHasher(5 * 1024 * 1024);
    try {
      expect(small.readPass).toBeUndefined();
      expect(large.readPass).toBeTypeOf('function');
    } finally {
      await small.close();
      await large.close();
    }
    // Incompressible small files (stored), over 4 MiB in all, and the release's link.
    const extra: Record<string, Buffer> = {};
    for (let i = 0; i < 90; i++) extra[`lib/n${i}.bin`] = randomBytes(60 * 1024);
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const p = (await createBackup(engine(ws.root), {})).path;
    const v = await verifyBackup(p, { ws: wsOf(ws.root) });
    expect(v.archiveBytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(v.sha256).toBe(await sha256File(p));
  });

  it('rollout verify from the bundle takes it on dist/workers/hash-worker.js (started early): a copy whose worker lies about the digest is refused with exit 3', async () => {
    const extra: Record<string, Buffer> = {};
    for (let i = 0; i < 90; i++) extra[`lib/n${i}.bin`] = randomBytes(60 * 1024);
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const p = (await createBackup(engine(ws.root), {})).path;
    const rel = relative(ws.root, p);
    const run = (d: string): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [join(d, 'cli.js'), 'verify', rel], { cwd: ws.root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const good = run(process.env.ROLLOUT_TEST_DIST!);
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    const bad = run(lyingDist(join(ws.root, 'dist-liar')));
    expect(bad.status).toBe(3);
    expect(String(bad.stderr)).toMatch(/does not match its \.sha256 \(expected [0-9a-f]{12}…, found 000000000000…\)/);
  });

  it('refuses a wrong CRC-32, an entry that inflates past its size and a cut stream, in the streaming pass words', async () => {
    for (const [bad, why] of [
      [{ 450: { crc: 12345 } }, /the CRC-32 of "deployments\/staging\/releases\/f450\.js" does not match; the archive is damaged\.$/],
      [{ 451: { size: 10 } }, /"deployments\/staging\/releases\/f451\.js" is damaged \(it inflates to more bytes than it declares\)\.$/],
      [{ 452: { body: (d: Buffer) => deflateRawSync(d).subarray(0, 12) } }, /"deployments\/staging\/releases\/f452\.js" is damaged \(its deflate stream is cut short \(truncated\)\)\.$/],
    ] as const) {
      const q = await packedArchive(ws.root, base, files(500, bad));
      expect((await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: recorded().make }))).message).toMatch(why);
    }
  });

  it('this thread checks from the back first: its bad entry loses to an earlier one the hashing thread finds, and is reported when it is the first', async () => {
    const late = recorded({ before: afterBackPass });
    const good = await packedArchive(ws.root, base, files(300));
    expect((await verifyBackup(good, { ws: wsOf(ws.root), hasher: late.make })).sha256).toBe(await sha256File(good));
    // This thread took every entry (the thread only hashed).
    expect([...late.shares[0]!.claims].every((c) => c === 2)).toBe(true);
    // The back pass stops at f250; the hashing thread then checks f0..f249 and finds f120.
    const two = await packedArchive(ws.root, base, files(300, { 250: { crc: 1 }, 120: { size: 7 } }));
    const l2 = recorded({ before: afterBackPass });
    expect((await refused(verifyBackup(two, { ws: wsOf(ws.root), hasher: l2.make }))).message).toMatch(/"deployments\/staging\/releases\/f120\.js" is damaged \(it inflates to more bytes than it declares\)/);
    expect(l2.shares[0]!.claims[120]).toBe(1);
    expect(l2.shares[0]!.claims[250]).toBe(2);
    const one = await packedArchive(ws.root, base, files(300, { 250: { crc: 1 } }));
    expect((await refused(verifyBackup(one, { ws: wsOf(ws.root), hasher: recorded({ before: afterBackPass }).make }))).message).toMatch(/the CRC-32 of "deployments\/staging\/releases\/f250\.js" does not match/);
  });

  it('checks links on either thread: a real backup passes, a link whose target differs from the manifest is refused', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const p = (await createBackup(engine(ws.root), {})).path;
    for (const before of [undefined, afterBackPass]) {
      const v = await verifyBackup(p, { ws: wsOf(ws.root), hasher: recorded(before ? { before } : {}).make });
      expect(v.sha256).toBe(await sha256File(p));
    }
    const entries: CraftEntry[] = [{ name: `${base}/`, dir: true }, { name: `${base}/a.js`, data: 'a'.repeat(300) }, { name: `${base}/cur`, link: 'a.js' }, { name: `${base}/z.js`, data: 'z'.repeat(300) }];
    const manifest = manifestFor('staging', entries, [base]);
    for (const e of manifest.entries) if (e.kind === 'symlink') e.target = 'z.js';
    const q = `${ws.root}/backups/dhash_staging_20261123_101540.zip`;
    put(ws.root, 'backups/dhash_staging_20261123_101540.zip', '');
    await craftZip(q, entries, manifest);
    writeValidChecksum(ws.root, q);
    for (const before of [undefined, afterBackPass]) {
      const e = await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: recorded(before ? { before } : {}).make }));
      expect(e.message).toMatch(/holds the link "deployments\/staging\/releases\/cur" pointing to "a\.js" but manifest\.json says "z\.js"/);
    }
  });

  it('an entry whose data would lie past the end of the file (its local header lies) is refused as truncated', async () => {
    const p = await packedArchive(ws.root, base, files(200));
    const buf = readFileSync(p);
    // The last file's local header (its name's first occurrence: local headers precede the
    // central directory): its extra-field length now claims 64 KiB more than the file holds.
    const name = Buffer.from(`${base}/f199.js`);
    const at = buf.indexOf(name) - 30;
    expect(buf.readUInt32LE(at)).toBe(0x04034b50);
    buf.writeUInt16LE(0xffff, at + 28);
    writeFileSync(p, buf);
    writeValidChecksum(ws.root, p);
    for (const before of [undefined, afterBackPass]) {
      const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: recorded(before ? { before } : {}).make }));
      expect(e.message).toMatch(/"deployments\/staging\/releases\/f199\.js" is damaged \(entry data runs past the end of the file \(truncated\)\)/);
    }
  });

  it('starts once the entries\' numbers pass, before their names are checked: a bad name or a duplicate is still what is refused (not a bad entry after it), and the thread stops checking', async () => {
    const named = (rename: Record<number, string>): PackedFile[] => files(300, { 250: { crc: 1 } }).map((f, i) => (rename[i] ? { ...f, name: rename[i] } : f));
    const cases: [PackedFile[], RegExp][] = [
      [named({ 200: `${base}/../f200.js` }), /holds an entry with a "\.\." segment \("deployments\/staging\/releases\/\.\.\/f200\.js"\)/],
      [named({ 201: `${base}/f7.js` }), /holds the name "deployments\/staging\/releases\/f7\.js" more than once/],
    ];
    for (const [list, why] of cases) {
      const p = await packedArchive(ws.root, base, list);
      for (const before of [undefined, afterBackPass]) {
        const r = recorded(before ? { before } : {});
        expect((await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: r.make }))).message).toMatch(why);
        // The pass had started (the thread had its share)...
        expect(r.shares).toHaveLength(1);
        // ...and once the archive was refused, every entry left was claimed unchecked: held back
        // until then, the thread checked none (without the stop, the back pass would have stopped
        // at f250's CRC and left the entries before it to the thread).
        if (before) expect([...r.shares[0]!.claims].every((c) => c === 2)).toBe(true);
      }
    }
  });

  it('does not start while an entry\'s numbers are refused (nothing is inflated before the limits pass), and a bad name before that entry is still what is refused', async () => {
    const limits = { ...DEFAULT_LIMITS, maxEntryBytes: 1000 };
    const p = await packedArchive(ws.root, base, files(300));
    const r = recorded();
    expect((await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: r.make, limits }))).message).toMatch(/holds "deployments\/staging\/releases\/f\d+\.js" of \d+ bytes, above the per-entry limit of 1000 \(a zip bomb\?\)/);
    expect(r.shares).toHaveLength(0);
    const q = await packedArchive(ws.root, base, files(300).map((f, i) => (i === 1 ? { ...f, name: `${base}/../f1.js` } : f)));
    const r2 = recorded();
    expect((await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: r2.make, limits }))).message).toMatch(/holds an entry with a "\.\." segment/);
    expect(r2.shares).toHaveLength(0);
    // Within the limits, the same archive verifies.
    expect((await verifyBackup(p, { ws: wsOf(ws.root), hasher: recorded().make })).sha256).toBe(await sha256File(p));
  });

  it('a hashing thread that is dead before it reads, or ended while it reads: everything is checked here and the file hashed again', async () => {
    const p = await packedArchive(ws.root, base, files(400));
    const plain = await sha256File(p);
    const dead = recorded({ before: async (_s, h) => void (await h.worker.terminate()) });
    expect((await verifyBackup(p, { ws: wsOf(ws.root), hasher: dead.make })).sha256).toBe(plain);
    // Ended at some point of its pass (whichever): the result is the same.
    const ended = recorded({ before: (_s, h) => void setTimeout(() => void h.worker.terminate(), 1) });
    expect((await verifyBackup(p, { ws: wsOf(ws.root), hasher: ended.make })).sha256).toBe(plain);
    const q = await packedArchive(ws.root, base, files(400, { 30: { crc: 9 }, 350: { size: 3 } }));
    for (const r of [recorded({ before: async (_s, h) => void (await h.worker.terminate()) }), recorded({ before: (_s, h) => void setTimeout(() => void h.worker.terminate(), 1) })]) {
      expect((await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: r.make }))).message).toMatch(/the CRC-32 of "deployments\/staging\/releases\/f30\.js" does not match/);
    }
  });

  it('an archive cut short or changed while the pass reads it is refused (its SHA-256 no longer matches)', async () => {
    const p = await packedArchive(ws.root, base, files(400));
    const size = readFileSync(p).length;
    const cut = recorded({ before: () => truncateSync(p, size >> 1) });
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: cut.make }));
    expect(e.message).toMatch(/does not match its \.sha256 .*; the archive is also truncated or unreadable; it is corrupt or was changed\./);
    const q = await packedArchive(ws.root, base, files(400));
    const flip = recorded({
      before: () => {
        const b = readFileSync(q);
        b[b.length >> 1]! ^= 0x20;
        writeFileSync(q, b);
      },
    });
    expect((await refused(verifyBackup(q, { ws: wsOf(ws.root), hasher: flip.make }))).message).toMatch(/does not match its \.sha256/);
  });

  it('an archive written to while it is verified is refused, even when its bytes end as they were (the hash and the checks may come from different reads)', async () => {
    const p = await packedArchive(ws.root, base, files(400));
    // An old mtime first, so that the rewrite below moves it whatever the clock's granularity.
    utimesSync(p, 1_000_000_000, 1_000_000_000);
    const same = recorded({ before: () => writeFileSync(p, readFileSync(p)) });
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: same.make }));
    expect(e.message).toMatch(/was changed or replaced while it was verified; verify it again once nothing writes to it\./);
    // Untouched, the same archive passes (the refusal above is the write, not the archive).
    expect((await verifyBackup(p, { ws: wsOf(ws.root), hasher: recorded().make })).sha256).toBe(await sha256File(p));
  });

  it('a read that fails on this thread during the pass waits for the reads of the hashing thread before the archive is closed (they go through its descriptor)', async () => {
    const p = await packedArchive(ws.root, base, files(600));
    let failed = false;
    const failing = (): number => {
      failed = true;
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' });
    };
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    let outcome = 'not run';
    const h = threadHasher(3, 64 * 1024, { readPass: true });
    const make = (): ArchiveHasher => ({
      ...h,
      get pending() {
        return h.pending;
      },
      // The thread's share starts only once this thread's read has failed, and a while after:
      // without the wait, the archive is closed by then.
      async readPass(s: PassShare) {
        while (!failed) await sleep(2);
        await sleep(150);
        return h.readPass!(s).then(
          (r) => ((outcome = `hashed ${r.hashed}`), r),
          (e: Error) => {
            outcome = `died: ${e.message}`;
            throw e;
          },
        );
      },
    });
    const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), hasher: make, passRead: failing }));
    expect(e.message).toMatch(/is damaged: EIO: i\/o error, read\./);
    expect(outcome).toBe('hashed true');
  });

  it('frontPass alone: a read that fails mid-file throws (the caller then checks and hashes everything itself); a file shorter than its size is not hashed whole', async () => {
    // Stored random files: over 1 MiB, so that the pass reads it in several pieces.
    const stored: PackedFile[] = Array.from({ length: 300 }, (_, i) => {
      const data = randomBytes(4096);
      return { name: `${base}/r${i}.bin`, data, crc: crc32(data), size: data.length, body: data, method: 0 };
    });
    const p = await packedArchive(ws.root, base, stored);
    const bytes = readFileSync(p);
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const { openSync, closeSync, readSync } = await import('node:fs');
    const fd = openSync(p, 'r');
    try {
      const s = passShare(fd, bytes.length, 0);
      let reads = 0;
      const failing = (f: number, b: Buffer, o: number, l: number, pos: number): number => {
        if (++reads === 2) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
        return readSync(f, b, o, l, pos);
      };
      expect(() => frontPass(s, createHash('sha256'), new RawInflater(), failing)).toThrow(/EIO/);
      const h = createHash('sha256');
      const short = (f: number, b: Buffer, o: number, l: number, pos: number): number => (pos >= bytes.length - 100 ? 0 : readSync(f, b, o, Math.min(l, bytes.length - 100 - pos), pos));
      expect(frontPass(passShare(fd, bytes.length, 0), h, new RawInflater(), short).hashed).toBe(false);
      const whole = createHash('sha256');
      expect(frontPass(passShare(fd, bytes.length, 0), whole, new RawInflater()).hashed).toBe(true);
      expect(whole.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    } finally {
      closeSync(fd);
    }
  });
});
