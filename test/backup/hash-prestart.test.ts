// Verify's hashing thread started before the command's modules load (src/backup/hash-prestart.ts,
// from src/cli/hot-verify.ts): the next threadHasher adopts it and hashes on it exactly as on a
// thread of its own; one that died before it was adopted never turns into a pass (the file is
// hashed again here); a verify that hashes on its own thread ends it; and the bundle's verify
// command hashes on it (a copy whose worker file lies about the digest is refused, exit 3).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptHashThread, discardHashThread, prestartHashThread } from '../../src/backup/hash-prestart.js';
import { threadHasher } from '../../src/backup/thread-hash.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { createBackup } from '../../src/usecases/backup.js';
import { RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { lyingDist } from '../helpers/lying-worker.js';
import { deployTree, engine, wsOf } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(async () => {
  discardHashThread();
  ws.cleanup();
});

/** A backup of a tree over 4 MiB (verify hashes it on the second thread); its path. */
async function largeBackup(): Promise<string> {
  deployTree(ws.root, 'staging', '1.0.0', { 'lib/noise.bin': randomBytes(5 * 1024 * 1024), 'lib/text.js': 'const x = 1;\n'.repeat(20_000) });
  return (await createBackup(engine(ws.root), {})).path;
}

/** Flip one byte in the middle of `p` (its .sha256 stays: the archive is corrupt). */
function flip(p: string): void {
  const b = readFileSync(p);
  const at = b.length >> 1;
  b[at] = b[at]! ^ 0xff;
  writeFileSync(p, b);
}

describe('the hashing thread started early', () => {
  it('is adopted by the next threadHasher, once: the same SHA-256 as a plain hash, over its shared buffers', async () => {
    const early = prestartHashThread();
    expect(early).toBeDefined();
    const h = threadHasher(3, 1024);
    expect(h.worker).toBe(early);
    expect(adoptHashThread()).toBeUndefined();
    const bufs = h.buffers!;
    const data = randomBytes(10 * 1024 + 7);
    const plain = createHash('sha256').update(data).digest('hex');
    for (let at = 0, i = 0; at < data.length; at += 1024, i = (i + 1) % 3) {
      const n = Math.min(1024, data.length - at);
      data.copy(bufs[i]!, 0, at, at + n);
      expect(await h.update(bufs[i]!.subarray(0, n), i)).toBeUndefined();
    }
    expect(await h.digest()).toBe(plain);
    await h.close();
  });

  it('dead before it was adopted: verify hashes the file here, so a good backup passes and a flipped byte is still refused', async () => {
    const p = await largeBackup();
    const plain = createHash('sha256').update(readFileSync(p)).digest('hex');
    const early = prestartHashThread()!;
    await early.terminate();
    const good = await verifyBackup(p, { ws: wsOf(ws.root) });
    expect(good.sha256).toBe(plain);
    flip(p);
    const dead = prestartHashThread()!;
    await dead.terminate();
    await expect(verifyBackup(p, { ws: wsOf(ws.root) })).rejects.toThrow(RefusedError);
    await expect(verifyBackup(p, { ws: wsOf(ws.root) })).rejects.toThrow(/does not match its \.sha256/);
  });

  it('is ended by a verify that hashes on its own thread (an archive under 4 MiB)', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const p = (await createBackup(engine(ws.root), {})).path;
    const early = prestartHashThread()!;
    const ended = once(early, 'exit');
    await verifyBackup(p, { ws: wsOf(ws.root) });
    await ended;
    expect(adoptHashThread()).toBeUndefined();
  });

  it('rollout verify from the bundle (its own graph, which starts the thread first) hashes on dist/workers/hash-worker.js: a copy whose worker lies about the digest is refused with exit 3', async () => {
    const p = await largeBackup();
    const rel = relative(ws.root, p);
    const dist = process.env.ROLLOUT_TEST_DIST!;
    const liar = lyingDist(join(ws.root, 'dist-liar'));
    const run = (d: string): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [join(d, 'cli.js'), 'verify', rel], { cwd: ws.root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const good = run(dist);
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    const bad = run(liar);
    expect(bad.status).toBe(3);
    expect(String(bad.stderr)).toMatch(/does not match its \.sha256 \(expected [0-9a-f]{12}…, found 000000000000…\)/);
  });
});
