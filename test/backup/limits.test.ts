// Zip-bomb limits that scale: a real 200k-entry backup is not refused (the old fixed limit of
// 200 000 entries refused it as "a zip bomb?"), the entry limit follows the machine's memory, a
// restore is held to the room on its filesystem, and bombs are still refused.
import { mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, ENTRY_COST_BYTES, MIN_ENTRY_LIMIT, entryLimitFor, roomProblem } from '../../src/backup/limits.js';
import { MANIFEST_FORMAT, MANIFEST_NAME, type Manifest } from '../../src/backup/manifest.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { ZipWriter } from '../../src/backup/zip.js';
import { RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { sha, writeValidChecksum, wsOf } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

const BASE = 'deployments/staging/releases';
const mtime = new Date(2026, 10, 23);

/** A backup of `files` small files in 100 folders, written with the backup's own zip writer. */
async function manyFiles(name: string, files: number, extra?: { name: string; data: Buffer }): Promise<string> {
  mkdirSync(join(ws.root, 'backups'), { recursive: true });
  const p = join(ws.root, 'backups', name);
  const fh = await open(p, 'w');
  const z = new ZipWriter(async (c) => {
    await fh.write(c);
  });
  const entries: Manifest['entries'] = [];
  await z.addDirectory(BASE, { mtime, mode: 0o040755 });
  entries.push({ path: BASE, kind: 'dir', mode: 0o755 });
  const data = Buffer.from('x');
  const hash = sha(data);
  for (let d = 0; d < 100; d++) {
    await z.addDirectory(`${BASE}/d${d}`, { mtime, mode: 0o040755 });
    entries.push({ path: `${BASE}/d${d}`, kind: 'dir', mode: 0o755 });
  }
  for (let i = 0; i < files; i++) {
    const path = `${BASE}/d${i % 100}/f${i}`;
    await z.addBuffer(data, path, { mtime, mode: 0o100644, compress: false });
    entries.push({ path, kind: 'file', size: 1, sha256: hash, mode: 0o644 });
  }
  if (extra) {
    await z.addBuffer(extra.data, `${BASE}/${extra.name}`, { mtime, mode: 0o100644 });
    entries.push({ path: `${BASE}/${extra.name}`, kind: 'file', size: extra.data.length, sha256: sha(extra.data), mode: 0o644 });
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    env: 'staging',
    version: '1.0.0',
    created_at: mtime.toISOString(),
    operator: 'tester',
    tool_version: '0.1.0',
    target_kind: 'local',
    roots: [{ path: BASE, kind: 'dir' }],
    entries,
    totals: { files: files + (extra ? 1 : 0), dirs: 101, symlinks: 0, bytes: files + (extra?.data.length ?? 0) },
  };
  await z.addBuffer(Buffer.from(JSON.stringify(manifest)), MANIFEST_NAME, { mtime, mode: 0o100644 });
  await z.end();
  await fh.close();
  writeValidChecksum(ws.root, p);
  return p;
}

describe('limits that scale', () => {
  it('a real backup of 200 000 files verifies under the default limits (no "zip bomb?")', async () => {
    const p = await manyFiles('dhash_staging_20261123_101500.zip', 200_000);
    const r = await verifyBackup(p, { ws: wsOf(ws.root) });
    expect(r.entries).toBe(200_101);
    expect(DEFAULT_LIMITS.maxEntries).toBeGreaterThanOrEqual(MIN_ENTRY_LIMIT);
  }, 120_000);

  it('the entry limit follows the memory, never below the floor', () => {
    expect(entryLimitFor(64 * 1024 ** 2)).toBe(MIN_ENTRY_LIMIT);
    expect(entryLimitFor(16 * 1024 ** 3)).toBe(Math.floor((4 * 1024 ** 3) / ENTRY_COST_BYTES));
    // Capped: a machine with 1 TiB does not accept billions of entries.
    expect(entryLimitFor(1024 ** 4)).toBe(Math.floor((8 * 1024 ** 3) / ENTRY_COST_BYTES));
  });

  it('a restore that would not fit its filesystem (inodes or bytes) is named as such', () => {
    expect(roomProblem(tmpdir(), 1, 1)).toBeUndefined();
    expect(roomProblem(tmpdir(), 1, 2 ** 52)).toMatch(/^4503599627370496 bytes once inflated, more than the \d+ bytes free$/);
    const inodes = roomProblem(tmpdir(), Number.MAX_SAFE_INTEGER, 1);
    // Filesystems that report no inode count (files = 0) are checked for space only.
    if (inodes !== undefined) expect(inodes).toMatch(/free inodes$/);
  });

  it('a bomb among many entries is still refused: the ratio limit, and a runbook limit below the count', async () => {
    const zeros = Buffer.alloc(80 * 1024 * 1024);
    const p = await manyFiles('dhash_staging_20261123_101501.zip', 1000, { name: 'bomb.bin', data: zeros });
    await expect(verifyBackup(p, { ws: wsOf(ws.root) })).rejects.toThrow(/compressed \d+:1, above the limit of 1000:1 \(a zip bomb\?\)/);
    const q = await manyFiles('dhash_staging_20261123_101502.zip', 1000);
    const e = await verifyBackup(q, { ws: wsOf(ws.root), limits: { ...DEFAULT_LIMITS, maxEntries: 500 } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RefusedError);
    expect((e as Error).message).toMatch(/holds 1102 entries, above the limit of 500/);
  });
});
