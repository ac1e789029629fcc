// verifyBackup against real archives: good ones pass; flipped bytes, truncation, a missing or
// malformed .sha256, and hostile archives that carry a VALID .sha256 (zip-slip, absolute and
// drive-letter names, links out, duplicates, manifest mismatches, bombs) are refused with exit 3.
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/usecases/backup.js';
import { DEFAULT_LIMITS } from '../../src/backup/limits.js';
import { manifestString, newestVerifiedBackup, verifyBackup } from '../../src/backup/verify.js';
import fc from 'fast-check';
import { stageBackup } from '../../src/backup/restore.js';
import { ZipWriter } from '../../src/backup/zip.js';
import { backupScope } from '../../src/backup/scope.js';
import { ExitCode, RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { craftZip, deployTree, engine, manifestFor, put, writeValidChecksum, wsOf, type CraftEntry } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

async function refusal(p: Promise<unknown>): Promise<RefusedError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RefusedError);
    expect((e as RefusedError).exitCode).toBe(ExitCode.refused);
    // One sentence, no stack.
    expect((e as Error).message.split('\n')).toHaveLength(1);
    return e as RefusedError;
  }
  throw new Error('expected a refusal, but the backup verified');
}

async function goodBackup(): Promise<string> {
  deployTree(ws.root, 'staging', '1.0.0', { 'lib/data.bin': Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) % 251)) });
  return (await createBackup(engine(ws.root), {})).path;
}

const BASE = 'deployments/staging/releases';
const good = (extra: CraftEntry[] = []): CraftEntry[] => [{ name: `${BASE}/`, dir: true }, { name: `${BASE}/ok.txt`, data: 'fine' }, ...extra];

async function crafted(name: string, entries: CraftEntry[], manifest?: ReturnType<typeof manifestFor> | string): Promise<string> {
  const p = join(ws.root, 'backups', name);
  put(ws.root, `backups/${name}`, '');
  await craftZip(p, entries, manifest ?? manifestFor('staging', entries, [BASE]));
  writeValidChecksum(ws.root, p);
  return p;
}

describe('verifyBackup', () => {
  it('accepts a backup just taken and reports what it holds', async () => {
    const p = await goodBackup();
    const r = await verifyBackup(p, { ws: wsOf(ws.root) });
    expect(r).toMatchObject({ ok: true, file: 'backups/dhash_staging_20261123_101500.zip', manifest: { env: 'staging', version: '1.0.0', operator: 'tester' } });
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a flipped byte (hash mismatch) without changing the file', async () => {
    const p = await goodBackup();
    const buf = readFileSync(p);
    buf[Math.floor(buf.length / 3)]! ^= 0x01;
    writeFileSync(p, buf);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/backups\/dhash_staging_20261123_101500\.zip does not match its \.sha256/);
    expect(readFileSync(p).equals(buf)).toBe(true);
  });

  it('refuses a truncated archive', async () => {
    const p = await goodBackup();
    truncateSync(p, Math.floor(statSync(p).size / 2));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/does not match its \.sha256.*truncated or unreadable/);
  });

  it('refuses a truncated archive even when someone rewrote the .sha256 to match it', async () => {
    const p = await goodBackup();
    truncateSync(p, statSync(p).size - 40);
    writeValidChecksum(ws.root, p);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/is truncated or not a zip archive/);
  });

  it('refuses a backup whose .sha256 is missing', async () => {
    const p = await goodBackup();
    const saved = readFileSync(`${p}.sha256`);
    writeFileSync(`${p}.sha256.bak`, saved);
    (await import('node:fs')).rmSync(`${p}.sha256`);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toBe('backups/dhash_staging_20261123_101500.zip.sha256 is missing, so the integrity of backups/dhash_staging_20261123_101500.zip cannot be checked.');
  });

  it.each([
    ['not a hash at all', 'hello\n'],
    ['a short hash', 'abc123  backups/dhash_staging_20261123_101500.zip\n'],
    ['two lines', `${'a'.repeat(64)}  x.zip\n${'b'.repeat(64)}  y.zip\n`],
    ['an empty file', ''],
  ])('refuses a malformed .sha256 (%s)', async (_what, text) => {
    const p = await goodBackup();
    writeFileSync(`${p}.sha256`, text);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/\.sha256 is malformed/);
  });

  it('refuses a .sha256 that names another file', async () => {
    const p = await goodBackup();
    const [hash] = readFileSync(`${p}.sha256`, 'utf8').split(' ');
    writeFileSync(`${p}.sha256`, `${hash}  backups/other.zip\n`);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/names "backups\/other\.zip"/);
  });

  // Hostile archives with a valid .sha256: only the deeper checks can catch these.
  it('refuses zip-slip (a ".." entry) even with a valid .sha256', async () => {
    const entries = good([{ name: `${BASE}/../../../evil.txt`, data: 'pwned' }]);
    const p = await crafted('dhash_staging_20261123_101501.zip', entries);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/an entry with a "\.\." segment \("deployments\/staging\/releases\/\.\.\/\.\.\/\.\.\/evil\.txt"\)/);
    expect(existsSync(join(ws.root, 'evil.txt'))).toBe(false);
  });

  it('refuses an absolute entry name', async () => {
    const p = await crafted('dhash_staging_20261123_101502.zip', good([{ name: '/tmp/rollout-evil-abs.txt', data: 'x' }]));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/an entry with an absolute path/);
  });

  it('refuses a drive-letter entry name', async () => {
    const p = await crafted('dhash_staging_20261123_101503.zip', good([{ name: 'C:/Windows/evil.txt', data: 'x' }]));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/an entry with a drive letter/);
  });

  it('refuses a link that points outside the workspace', async () => {
    const p = await crafted('dhash_staging_20261123_101504.zip', good([{ name: `${BASE}/escape`, link: '../../../../../etc' }]));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/the link "deployments\/staging\/releases\/escape" that points outside the workspace/);
  });

  it.each([5000, 48 * 1024 * 1024])('refuses a stored link of %i bytes as too long to be one (the large one before its data is collected)', async (bytes) => {
    const entries = good([{ name: `${BASE}/long`, link: 'x'.repeat(bytes) }]);
    // (the manifest lists it with a short target: only the archive's entry is too long)
    const p = await crafted(`dhash_staging_20261123_1015${bytes > 9999 ? '07' : '06'}.zip`, entries, manifestFor('staging', good([{ name: `${BASE}/long`, link: 'ok.txt' }]), [BASE]));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toBe(`backups/dhash_staging_20261123_1015${bytes > 9999 ? '07' : '06'}.zip holds the link "${BASE}/long" with a target of ${bytes} bytes; refusing it.`);
  });

  it('refuses a link with an absolute target', async () => {
    const p = await crafted('dhash_staging_20261123_101505.zip', good([{ name: `${BASE}/passwd`, link: '/etc/passwd' }]));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/points to the absolute path \/etc\/passwd/);
  });

  it('refuses an entry written below a link (a write through the link)', async () => {
    const entries = good([{ name: `${BASE}/lnk`, link: 'ok.txt' }, { name: `${BASE}/lnk/x.txt`, data: 'through' }]);
    const p = await crafted('dhash_staging_20261123_101506.zip', entries);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/below the link/);
  });

  it('names the shallowest link an entry is written below, with a few links (compared) and with many (looked up by folder)', async () => {
    // The entry comes first in the archive, below two nested links: the outer one is named.
    const nested = [{ name: `${BASE}/a/b/x.txt`, data: 'through' }, { name: `${BASE}/a`, link: 'ok.txt' }, { name: `${BASE}/a/b`, link: '../ok.txt' }];
    const many = Array.from({ length: 20 }, (_, i): CraftEntry => ({ name: `${BASE}/l${i}`, link: 'ok.txt' }));
    let n = 0;
    for (const extra of [nested, [...many, ...nested]]) {
      const p = await crafted(`dhash_staging_20261123_10151${n++}.zip`, good(extra));
      const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
      expect(e.message).toMatch(/holds "deployments\/staging\/releases\/a\/b\/x\.txt" below the link "deployments\/staging\/releases\/a"; refusing it\.$/);
    }
    // The control: many links and nothing below them verifies.
    const ok = await crafted('dhash_staging_20261123_101519.zip', good([...many, { name: `${BASE}/l1x/y.txt`, data: 'beside, not below' }]));
    expect((await verifyBackup(ok, { ws: wsOf(ws.root) })).entries).toBe(23);
  });

  it('refuses duplicate names', async () => {
    const entries = good([{ name: `${BASE}/ok.txt`, data: 'evil' }]);
    const m = manifestFor('staging', good(), [BASE]);
    const p = await crafted('dhash_staging_20261123_101507.zip', entries, m);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/holds the name "deployments\/staging\/releases\/ok\.txt" more than once/);
  });

  it('refuses an entry the manifest does not list', async () => {
    const p = await crafted('dhash_staging_20261123_101508.zip', good([{ name: `${BASE}/extra.txt`, data: 'x' }]), manifestFor('staging', good(), [BASE]));
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/holds "deployments\/staging\/releases\/extra\.txt", which manifest\.json does not list/);
  });

  it('refuses a manifest entry missing from the archive', async () => {
    const m = manifestFor('staging', good([{ name: `${BASE}/gone.txt`, data: 'x' }]), [BASE]);
    const p = await crafted('dhash_staging_20261123_101509.zip', good(), m);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/lacks "deployments\/staging\/releases\/gone\.txt", which manifest\.json lists/);
  });

  it('the manifest in the archive\'s order or in any other: the same checks (duplicates, a folder named with its slash, a kind that differs)', async () => {
    const entries = good([{ name: `${BASE}/sub/`, dir: true }, { name: `${BASE}/sub/b.txt`, data: 'bee' }, { name: `${BASE}/cur`, link: 'ok.txt' }, { name: `${BASE}/z.txt`, data: 'zed' }]);
    const m = manifestFor('staging', entries, [BASE]);
    const withEntries = (list: typeof m.entries): typeof m => ({ ...m, entries: list });
    const seq = { n: 30 };
    const name = (): string => `dhash_staging_20261123_1015${seq.n++}.zip`;
    // Any order verifies: the archive's (paired entry by entry) and others (indexed by path).
    for (const list of [m.entries, [...m.entries].reverse(), [...m.entries.slice(2), ...m.entries.slice(0, 2)]]) {
      expect((await verifyBackup(await crafted(name(), entries, withEntries(list)), { ws: wsOf(ws.root) })).entries).toBe(entries.length);
    }
    const sub = m.entries.findIndex((e) => e.path === `${BASE}/sub`);
    const refusals: [typeof m.entries, RegExp][] = [
      // A folder listed with its trailing slash, in the archive's order: not the archive's name.
      [m.entries.map((e, i) => (i === sub ? { ...e, path: `${BASE}/sub/` } : e)), /manifest\.json lists a path with an empty or "\." segment \("deployments\/staging\/releases\/sub\/"\)/],
      // As many entries as the archive, one of them twice.
      [m.entries.map((e, i) => (i === sub ? m.entries[1]! : e)), /manifest\.json lists "deployments\/staging\/releases\/ok\.txt" more than once/],
      // Every name in order, one kind different.
      [m.entries.map((e, i) => (i === sub ? { path: e.path, kind: 'file' as const, size: 0, sha256: '0'.repeat(64) } : e)), /holds "deployments\/staging\/releases\/sub" as a dir but manifest\.json lists a file/],
      // One entry fewer, and one more.
      [m.entries.slice(0, -1), /holds "deployments\/staging\/releases\/z\.txt", which manifest\.json does not list/],
      [[...m.entries, { path: `${BASE}/gone.txt`, kind: 'file' as const, size: 1, sha256: '0'.repeat(64) }], /lacks "deployments\/staging\/releases\/gone\.txt", which manifest\.json lists/],
    ];
    for (const [list, why] of refusals) {
      for (const l of [list, [...list].reverse()]) expect((await refusal(verifyBackup(await crafted(name(), entries, withEntries(l)), { ws: wsOf(ws.root) }))).message).toMatch(why);
    }
  });

  it('reads manifest.json as UTF-8, whichever way it decodes (Latin-1 for ASCII bytes): any text, any bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (t) => manifestString(Buffer.from(t)) === t));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => manifestString(Buffer.from(b)) === Buffer.from(b).toString('utf8')));
    expect(manifestString(Buffer.from('{"path":"caf\u00e9"}'))).toBe('{"path":"café"}');
  });

  it('content whose SHA-256 differs from the manifest (CRC and .sha256 made to match) is refused by the restore, before anything is staged', async () => {
    // verify reads the archive once and relies on its .sha256 for every byte (see onePass); the
    // restore reads it again without that hash, so it is the restore that holds each file to the
    // manifest's SHA-256 before anything is swapped in.
    const m = manifestFor('staging', good(), [BASE]);
    const entries = good().map((e) => (e.name.endsWith('ok.txt') ? { ...e, data: 'FINE' } : e));
    const p = await crafted('dhash_staging_20261123_101510.zip', entries, m);
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    const e = await refusal(stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 'test', { scope }));
    expect(e.message).toMatch(/the SHA-256 of "deployments\/staging\/releases\/ok\.txt" does not match manifest\.json/);
    expect(existsSync(join(ws.root, 'deployments/staging/.releases.rollback-test.new'))).toBe(false);
  });

  it('restores a large stored file through the reused-buffer copy byte for byte, and refuses one changed past its first chunk (CRC made to match)', async () => {
    // 3 MiB and a bit: more than two 1 MiB chunks, so both buffers are reused and the last chunk is partial.
    const data = randomBytes(3 * 1024 * 1024 + 12_345);
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/random.bin': data });
    const p = (await createBackup(engine(ws.root), {})).path;
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    const m = (await verifyBackup(p, { ws: wsOf(ws.root) })).manifest;
    const staged = join(ws.root, 'deployments/staging/.releases.rollback-test.new');
    await stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 'test', { scope });
    expect(readFileSync(join(staged, '1.0.0/lib/random.bin')).equals(data)).toBe(true);
    expect(statSync(join(staged, '1.0.0/lib/random.bin')).mode & 0o777).toBe(statSync(join(ws.root, 'deployments/staging/releases/1.0.0/lib/random.bin')).mode & 0o777);

    // Flip a byte in the third chunk and make both CRC-32s match the changed bytes: only the
    // manifest's SHA-256 can catch it, and nothing may stay staged.
    const buf = readFileSync(p);
    const name = Buffer.from('deployments/staging/releases/1.0.0/lib/random.bin');
    let local = -1;
    for (let at = buf.indexOf(name); at >= 0; at = buf.indexOf(name, at + 1)) if (at >= 30 && buf.readUInt32LE(at - 30) === 0x04034b50) local = at - 30;
    expect(local).toBeGreaterThanOrEqual(0);
    expect(buf.readUInt16LE(local + 8)).toBe(0); // stored, so the copy path is the one under test
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    buf[start + 2 * 1024 * 1024 + 5]! ^= 0x40;
    const crc = crc32(buf.subarray(start, start + data.length)) >>> 0;
    buf.writeUInt32LE(crc, local + 14);
    let central = 0;
    for (let at = buf.indexOf(name); at >= 0; at = buf.indexOf(name, at + 1)) {
      if (at >= 46 && buf.readUInt32LE(at - 46) === 0x02014b50) {
        buf.writeUInt32LE(crc, at - 46 + 16);
        central++;
      }
    }
    expect(central).toBe(1);
    writeFileSync(p, buf);
    rmSync(staged, { recursive: true, force: true });
    const e = await refusal(stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 'test', { scope }));
    expect(e.message).toBe('backups/x.zip: the SHA-256 of "deployments/staging/releases/1.0.0/lib/random.bin" does not match manifest.json; the archive is damaged.');
    expect(existsSync(staged)).toBe(false);
  });

  it.each([
    ['its local header missing (signature overwritten)', (buf: Buffer, local: number) => buf.writeUInt32LE(0, local), /is damaged \(a local file header is missing \(truncated or damaged\)\)\.$/],
    ['its local header putting its data past the end of the archive', (buf: Buffer, local: number) => buf.writeUInt16LE(0xffff, local + 28), /is damaged \(entry data runs past the end of the file \(truncated\)\)\.$/],
  ])('refuses a large entry with %s in the restore (its data start read from the header alone), nothing staged', async (_what, spoil, why) => {
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/random.bin': randomBytes(3 * 1024 * 1024) });
    const p = (await createBackup(engine(ws.root), {})).path;
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    const m = (await verifyBackup(p, { ws: wsOf(ws.root) })).manifest;
    const buf = readFileSync(p);
    const name = Buffer.from('deployments/staging/releases/1.0.0/lib/random.bin');
    let local = -1;
    for (let at = buf.indexOf(name); at >= 0; at = buf.indexOf(name, at + 1)) if (at >= 30 && buf.readUInt32LE(at - 30) === 0x04034b50) local = at - 30;
    expect(local).toBeGreaterThanOrEqual(0);
    // (with 65535 bytes of "extra field", 3 MiB of data cannot fit before the end)
    expect(local + 30 + name.length + 0xffff + 3 * 1024 * 1024).toBeGreaterThan(buf.length);
    spoil(buf, local);
    writeFileSync(p, buf);
    const e = await refusal(stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 'test', { scope }));
    expect(e.message).toMatch(/^backups\/x\.zip: "deployments\/staging\/releases\/1\.0\.0\/lib\/random\.bin" /);
    expect(e.message).toMatch(why);
    expect(existsSync(join(ws.root, 'deployments/staging/.releases.rollback-test.new'))).toBe(false);
  });

  it('refuses an archive without a manifest, or with a malformed one', async () => {
    const a = await crafted('dhash_staging_20261123_101511.zip', good(), undefined);
    // craftZip writes a manifest when given one; rebuild without it.
    await craftZip(a, good());
    writeValidChecksum(ws.root, a);
    expect((await refusal(verifyBackup(a, { ws: wsOf(ws.root) }))).message).toMatch(/has no manifest\.json/);
    const b = await crafted('dhash_staging_20261123_101512.zip', good(), '{"format": "something else"}');
    expect((await refusal(verifyBackup(b, { ws: wsOf(ws.root) }))).message).toMatch(/manifest\.json is malformed/);
  });

  it('refuses a zip bomb: an entry that inflates past the ratio limit', async () => {
    const zeros = Buffer.alloc(80 * 1024 * 1024);
    const entries = good([{ name: `${BASE}/bomb.bin`, data: zeros }]);
    const p = await crafted('dhash_staging_20261123_101513.zip', entries);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/compressed \d+:1, above the limit of 1000:1 \(a zip bomb\?\)/);
  });

  it('refuses archives beyond configurable limits (entries, total size)', async () => {
    const p = await goodBackup();
    expect((await refusal(verifyBackup(p, { ws: wsOf(ws.root), limits: { ...DEFAULT_LIMITS, maxEntries: 3 } }))).message).toMatch(/entries, above the limit of 3/);
    expect((await refusal(verifyBackup(p, { ws: wsOf(ws.root), limits: { ...DEFAULT_LIMITS, maxTotalBytes: 1000 } }))).message).toMatch(/would inflate to more than 1000 bytes/);
  });

  it('refuses a backup renamed to another environment', async () => {
    const p = await goodBackup();
    const q = join(ws.root, 'backups', 'dhash_production_20261123_101500.zip');
    copyFileSync(p, q);
    writeValidChecksum(ws.root, q);
    expect((await refusal(verifyBackup(q, { ws: wsOf(ws.root) }))).message).toMatch(/is named for production but its manifest says it is a backup of staging/);
  });

  it.each([
    ['a small file (checked on the main thread)', 'deployments/staging/releases/1.0.0/release.json'],
    ['a large stored file (checked by the hashing worker)', 'deployments/staging/releases/1.0.0/lib/random.bin'],
  ])('refuses a wrong CRC-32 in the central directory for %s, even with a valid .sha256', async (_what, name) => {
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/random.bin': randomBytes(3 * 1024 * 1024) });
    const p = (await createBackup(engine(ws.root), {})).path;
    const buf = readFileSync(p);
    const nameBuf = Buffer.from(name);
    let patched = 0;
    for (let at = buf.indexOf(nameBuf); at >= 0; at = buf.indexOf(nameBuf, at + 1)) {
      if (at >= 46 && buf.readUInt32LE(at - 46) === 0x02014b50) {
        buf.writeUInt32LE((buf.readUInt32LE(at - 46 + 16) ^ 1) >>> 0, at - 46 + 16);
        patched++;
      }
    }
    expect(patched).toBe(1);
    writeFileSync(p, buf);
    writeValidChecksum(ws.root, p);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toBe(`backups/dhash_staging_20261123_101500.zip: the CRC-32 of "${name}" does not match; the archive is damaged.`);
  });

  it.each([
    // [what, the entry's deflated body, the size and content it declares, the refusal]
    ['a size that lies low (a small bomb: inflating stops at the declared size + 1)', (d: Buffer) => deflateRawSync(d), 100, /inflates to more bytes than it declares/],
    ['a size that lies high (the stream ends early)', (d: Buffer) => deflateRawSync(d.subarray(0, 3000)), 5000, /inflates to 3000 bytes, not the 5000 it declares/],
    ['a deflate stream cut short', (d: Buffer) => deflateRawSync(d).subarray(0, 40), 5000, /deflate stream is cut short \(truncated\)/],
    ['bytes after the end of the deflate stream', (d: Buffer) => Buffer.concat([deflateRawSync(d), Buffer.from('hidden')]), 5000, /deflate stream ends 6 bytes before its data does/],
    ['garbage instead of a deflate stream', () => Buffer.from('\xff\xfe not deflate at all', 'latin1'), 5000, /deflate stream is invalid/],
  ] as const)('refuses a small deflated entry with %s, its CRC-32, manifest and .sha256 made to match', async (_what, body, declared, why) => {
    // Written with our own writer's addPacked, which takes any body: the sizes, CRC and manifest
    // agree with what the entry claims, so only inflating it can find it out.
    const data = Buffer.from('module.exports = function () { return 42; };\n'.repeat(120)).subarray(0, 5000);
    const claimed = data.subarray(0, declared);
    const name = `${BASE}/lie.js`;
    const entries: CraftEntry[] = [{ name: `${BASE}/`, dir: true }, { name, data: claimed }];
    const p = join(ws.root, 'backups', 'dhash_staging_20261123_101520.zip');
    const chunks: Buffer[] = [];
    const w = new ZipWriter(async (c) => void chunks.push(Buffer.from(c)));
    await w.addDirectory(`${BASE}`, { mtime: 0, mode: 0o40755 });
    await w.addPacked(name, { mtime: 0, mode: 0o100644 }, { crc: crc32(claimed), size: declared, body: body(data), method: 8 });
    await w.addBuffer(Buffer.from(JSON.stringify(manifestFor('staging', entries, [BASE]))), 'manifest.json', { mtime: 0, mode: 0o100644 });
    await w.end();
    put(ws.root, 'backups/dhash_staging_20261123_101520.zip', Buffer.concat(chunks));
    writeValidChecksum(ws.root, p);
    const e = await refusal(verifyBackup(p, { ws: wsOf(ws.root) }));
    expect(e.message).toMatch(/^backups\/dhash_staging_20261123_101520\.zip: "deployments\/staging\/releases\/lie\.js" is damaged \(/);
    expect(e.message).toMatch(why);
    // The restore reads the archive again (without its hash) and holds the entry to the same
    // rules, with small files created on the writer thread or on this one; nothing stays staged.
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    for (const writeThread of [true, false]) {
      const r = await refusal(stageBackup(wsOf(ws.root), p, 'backups/x.zip', manifestFor('staging', entries, [BASE]).roots, 'test', { scope, writeThread }));
      expect(r.message).toMatch(/^backups\/x\.zip: "deployments\/staging\/releases\/lie\.js" is damaged \(/);
      expect(r.message).toMatch(why);
      expect(existsSync(join(ws.root, 'deployments/staging/.releases.rollback-test.new'))).toBe(false);
    }
  });

  it('newestVerifiedBackup skips a corrupt newer backup and names what it skipped', async () => {
    const older = await goodBackup();
    const newer = join(ws.root, 'backups', 'dhash_staging_20261123_120000.zip');
    copyFileSync(older, newer);
    writeValidChecksum(ws.root, newer);
    const buf = readFileSync(newer);
    buf[100]! ^= 0xff;
    writeFileSync(newer, buf);
    const r = await newestVerifiedBackup(wsOf(ws.root), 'staging');
    expect(r.result.path).toBe(older);
    expect(r.skipped).toEqual([{ file: 'backups/dhash_staging_20261123_120000.zip', reason: expect.stringMatching(/does not match its \.sha256/) }]);
  });
});
