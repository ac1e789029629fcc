// The archive's SHA-256 on a second thread (src/backup/thread-hash.ts): it must equal a plain
// SHA-256 of the file however the read buffers rotate, a flipped byte must still be refused
// through it, and a hashing thread that dies mid-verify must never turn into a pass: verify then
// hashes the file again on its own and decides from that.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/backup/checksum.js';
import { archiveHasher, verifyBackup } from '../../src/backup/verify.js';
import { threadHasher, type ArchiveHasher } from '../../src/backup/thread-hash.js';
import { createBackup } from '../../src/usecases/backup.js';
import { ExitCode, RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { craftZip, deployTree, engine, manifestFor, writeValidChecksum, wsOf, put } from './fixtures.js';

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

async function refused(p: Promise<unknown>): Promise<RefusedError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RefusedError);
  expect((e as RefusedError).exitCode).toBe(ExitCode.refused);
  expect((e as Error).message.split('\n')).toHaveLength(1);
  return e as RefusedError;
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

  it('is used for large archives only', async () => {
    const small = archiveHasher(1024);
    const large = archiveHasher(256 * 1024 * 1024);
    try {
      expect(small.buffers).toBeUndefined();
      expect(large.buffers).toHaveLength(3);
    } finally {
      await small.close();
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
