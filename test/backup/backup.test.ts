// createBackup on real files in temp workspaces: the archive, its manifest, the .sha256 that the
// seeds' `sha256sum -c` accepts, names that sort newest-first, dry runs, progress, refusals.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { createBackup, type BackupProgress } from '../../src/usecases/backup.js';
import { useWorker } from '../../src/backup/backup.js';
import { listBackups } from '../../src/backup/names.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { FakeClock } from '../../src/domain/clock.js';
import { RefusedError, StepFailedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { deployTree, engine, put, sha, wsOf } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

async function zipEntries(path: string): Promise<Map<string, { data: Buffer; mode: number }>> {
  const zf = await yauzl.openPromise(path, { lazyEntries: true });
  const out = new Map<string, { data: Buffer; mode: number }>();
  await new Promise<void>((resolve, reject) => {
    zf.on('entry', (e: yauzl.Entry) => {
      zf.openReadStream(e, (err, s) => {
        if (err) return reject(err);
        const parts: Buffer[] = [];
        s.on('data', (c: Buffer) => parts.push(c));
        s.on('end', () => {
          out.set(e.fileName, { data: Buffer.concat(parts), mode: e.externalFileAttributes >>> 16 });
          zf.readEntry();
        });
      });
    });
    zf.on('end', () => resolve());
    zf.on('error', reject);
    zf.readEntry();
  });
  zf.close();
  return out;
}

describe('createBackup', () => {
  it('archives the deployed release, the current link, config and migration state with a manifest, and a .sha256 that sha256sum -c accepts from the workspace', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/data.bin': big, 'static/logo.png': Buffer.from('not really a png') });
    const ctx = engine(ws.root);
    const r = await createBackup(ctx, {});
    expect(r.file).toBe('backups/dhash_staging_20261123_101500.zip');
    expect(existsSync(r.path)).toBe(true);
    // The seeds' own commands, run from the workspace root.
    const latest = listBackups(join(ws.root, 'backups'), 'staging')[0];
    expect(`backups/${latest}`).toBe(r.file);
    const line = readFileSync(`${r.path}.sha256`, 'utf8');
    expect(line).toBe(`${sha(readFileSync(r.path))}  backups/dhash_staging_20261123_101500.zip\n`);
    const out = execFileSync('sha256sum', ['-c', `${r.file}.sha256`], { cwd: ws.root, encoding: 'utf8' });
    expect(out.trim()).toBe(`${r.file}: OK`);

    const entries = await zipEntries(r.path);
    const manifest = JSON.parse(entries.get('manifest.json')!.data.toString()) as { env: string; version: string; operator: string; tool_version: string; created_at: string; entries: { path: string; kind: string; size?: number; sha256?: string; target?: string }[] };
    expect(manifest).toMatchObject({ env: 'staging', version: '1.0.0', operator: 'tester', created_at: '2026-11-23T10:15:00.000Z' });
    expect(manifest.tool_version).toMatch(/^\d+\.\d+\.\d+/);
    const files = manifest.entries.filter((e) => e.kind === 'file');
    for (const f of files) {
      const onDisk = readFileSync(join(ws.root, f.path));
      expect(f.size).toBe(onDisk.length);
      expect(f.sha256).toBe(sha(onDisk));
      expect(entries.get(f.path)!.data.equals(onDisk)).toBe(true);
    }
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        'config/staging/dhash.json',
        'deployments/staging/releases/1.0.0/app/main.js',
        'deployments/staging/releases/1.0.0/lib/data.bin',
        'deployments/staging/releases/1.0.0/release.json',
        'deployments/staging/releases/1.0.0/static/logo.png',
        'migrations/staging_migration_state.json',
      ].sort(),
    );
    // The current link is kept as a link, with its target; runtime files are left out.
    expect(manifest.entries).toContainEqual({ path: 'deployments/staging/current', kind: 'symlink', target: 'releases/1.0.0' });
    expect((entries.get('deployments/staging/current')!.mode & 0o170000) === 0o120000).toBe(true);
    expect([...entries.keys()].some((k) => k.includes('service.pid') || k.includes('service.log'))).toBe(false);
    expect(manifest.entries).toContainEqual(expect.objectContaining({ path: 'deployments/staging/releases/1.0.0/empty', kind: 'dir' }));
    // And it verifies.
    await expect(verifyBackup(r.path, { ws: wsOf(ws.root) })).resolves.toMatchObject({ ok: true, entries: manifest.entries.length });
  });

  it('the archive opens with the standard unzip tool and gives back the same bytes', async () => {
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/words.txt': 'lorem ipsum '.repeat(20000) });
    const r = await createBackup(engine(ws.root), {});
    const out = mkdtempSync(join(tmpdir(), 'rollout-unzip-'));
    try {
      execFileSync('unzip', ['-q', r.path, '-d', out]);
      const p = 'deployments/staging/releases/1.0.0/lib/words.txt';
      expect(readFileSync(join(out, p), 'utf8')).toBe(readFileSync(join(ws.root, p), 'utf8'));
      expect(readlinkSync(join(out, 'deployments/staging/current'))).toBe('releases/1.0.0');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('two backups in the same second get two names, and `sort -r` puts the later one first', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 15, 0, 200));
    const a = await createBackup(engine(ws.root, 'staging', clock), {});
    put(ws.root, 'config/staging/dhash.json', '{"changed":true}');
    const b = await createBackup(engine(ws.root, 'staging', clock), {});
    expect(a.file).not.toBe(b.file);
    const sorted = execFileSync('sh', ['-c', 'ls -1 backups/dhash_staging_*.zip | sort -r | head -n1'], { cwd: ws.root, encoding: 'utf8' }).trim();
    expect(sorted).toBe(b.file);
    // Under a UTF-8 collation too (where punctuation in a suffix would sort differently).
    const sortedUtf8 = execFileSync('sh', ['-c', 'ls -1 backups/dhash_staging_*.zip | LC_ALL=C.UTF-8 sort -r | head -n1'], { cwd: ws.root, encoding: 'utf8' }).trim();
    expect(sortedUtf8).toBe(b.file);
    expect(readFileSync(`${a.path}.sha256`, 'utf8')).toContain(a.file);
    expect(readFileSync(`${b.path}.sha256`, 'utf8')).toContain(b.file);
  });

  it('--dry-run lists what it would archive with sizes and writes only backup-dryrun.log', async () => {
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/data.bin': Buffer.alloc(12345, 1) });
    const before = readdirSync(ws.root).sort();
    const r = await createBackup(engine(ws.root), { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(readdirSync(ws.root).sort()).toEqual([...before, 'backup-dryrun.log'].sort());
    expect(existsSync(join(ws.root, 'backups'))).toBe(false);
    const text = readFileSync(join(ws.root, 'backup-dryrun.log'), 'utf8');
    expect(text).toMatch(/12345 {2}deployments\/staging\/releases\/1\.0\.0\/lib\/data\.bin/);
    expect(text).toContain('deployments/staging/current -> releases/1.0.0');
    expect(text).toContain('nothing was written');
    expect(r.plan?.find((p) => p.path.endsWith('data.bin'))?.size).toBe(12345);
  });

  it('reports progress: bytes done rising to the total, files, and a rate', async () => {
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/a.bin': Buffer.alloc(5 * 1024 * 1024, 3), 'lib/b.bin': Buffer.alloc(2 * 1024 * 1024, 4) });
    const seen: BackupProgress[] = [];
    const r = await createBackup(engine(ws.root), { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(0);
    const last = seen.at(-1)!;
    expect(last.bytesDone).toBe(r.bytes);
    expect(last.bytesTotal).toBe(r.bytes);
    expect(last.filesDone).toBe(r.files);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesDone).toBeGreaterThanOrEqual(seen[i - 1]!.bytesDone);
    expect(typeof last.rate).toBe('number');
  });

  it('refuses to back up a link that points outside the workspace, and writes nothing', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    symlinkSync('/etc/passwd', join(ws.root, 'deployments/staging/releases/1.0.0/passwd'));
    await expect(createBackup(engine(ws.root), {})).rejects.toThrow(/passwd: the link points to the absolute path \/etc\/passwd/);
    expect(existsSync(join(ws.root, 'backups')) ? readdirSync(join(ws.root, 'backups')) : []).toEqual([]);
  });

  it('says so when nothing is deployed', async () => {
    await expect(createBackup(engine(ws.root), {})).rejects.toThrow(StepFailedError);
    await expect(createBackup(engine(ws.root), {})).rejects.toThrow(/Nothing is deployed in staging/);
  });

  it('refuses while a rollback of the environment is stuck half-way through its swap', async () => {
    deployTree(ws.root, 'staging', '1.0.0');
    put(ws.root, '.rollout/rollback/staging.journal.json', JSON.stringify({ id: 'x', env: 'staging', backup: 'backups/b.zip', version: '1.0.0', operator: 'o', pid: 1, started_at: 'now', phase: 'swapping', temp: [], swaps: [] }));
    await expect(createBackup(engine(ws.root), {})).rejects.toThrow(RefusedError);
  });

  it('keeps file modes, and a folder of many small files arrives whole', async () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 300; i++) extra[`many/f${i}.txt`] = `file ${i}\n`.repeat(i % 7);
    deployTree(ws.root, 'staging', '1.0.0', extra);
    writeFileSync(join(ws.root, 'deployments/staging/releases/1.0.0/run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const r = await createBackup(engine(ws.root), {});
    const entries = await zipEntries(r.path);
    expect([...entries.keys()].filter((k) => k.includes('/many/f')).length).toBe(300);
    expect(entries.get('deployments/staging/releases/1.0.0/run.sh')!.mode & 0o777).toBe(0o755);
    expect(lstatSync(r.path).size).toBe(r.archiveBytes);
  });

  /** A release of `n` JS-like files of 6-9 KiB in batches' worth (a few MiB), with odd ones among them. */
  function manyFiles(n: number): Record<string, string | Buffer> {
    const extra: Record<string, string | Buffer> = {};
    for (let i = 0; i < n; i++) extra[`node_modules/p${i % 7}/f${i}.js`] = `export const v${i} = require("m${i % 13}");\n`.repeat(150 + (i % 70));
    extra['node_modules/empty.js'] = '';
    extra['node_modules/__proto__'] = 'a file named __proto__';
    extra['node_modules/tiny.txt'] = 'x';
    extra['node_modules/random.bin'] = randomBytes(20_000);
    extra['node_modules/big.bin'] = Buffer.alloc(600 * 1024, 3); // streamed, between small ones
    extra['node_modules/zz/after.js'] = 'after the big one\n';
    return extra;
  }

  it('packs small files on a worker thread or on this one into the same entries and manifest, which verify and unzip accept', async () => {
    deployTree(ws.root, 'staging', '1.0.0', manyFiles(700));
    const threaded = await createBackup(engine(ws.root), { worker: true });
    const single = await createBackup(engine(ws.root, 'staging', new FakeClock(Date.UTC(2026, 10, 23, 10, 16, 0))), { worker: false });
    const a = await zipEntries(threaded.path);
    const b = await zipEntries(single.path);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) if (k !== 'manifest.json') expect(v.data.equals(b.get(k)!.data), k).toBe(true);
    const manifest = JSON.parse(a.get('manifest.json')!.data.toString());
    expect(manifest).toEqual({ ...JSON.parse(b.get('manifest.json')!.data.toString()), created_at: manifest.created_at });
    const rel = 'deployments/staging/releases/1.0.0/node_modules';
    const byPath = new Map<string, { size?: number; sha256?: string }>(manifest.entries.map((e: { path: string }) => [e.path, e]));
    for (const name of ['empty.js', '__proto__', 'tiny.txt', 'random.bin', 'big.bin', 'p3/f10.js']) {
      const data = readFileSync(join(ws.root, rel, name));
      expect(byPath.get(`${rel}/${name}`), name).toMatchObject({ size: data.length, sha256: sha(data) });
      expect(a.get(`${rel}/${name}`)!.data.equals(data), name).toBe(true);
    }
    expect(manifest.totals.files).toBe(700 + 6 + 4); // and release.json, app/main.js, the config and the migration state
    for (const r of [threaded, single]) {
      await expect(verifyBackup(r.path, { ws: wsOf(ws.root) })).resolves.toMatchObject({ ok: true });
      expect(execFileSync('unzip', ['-tq', r.path], { encoding: 'utf8' })).toMatch(/No errors detected/);
    }
  });

  it('the packing worker: ROLLOUT_BACKUP_WORKER=on|off decides, else only for megabytes of small files', () => {
    expect(useWorker(0, { ROLLOUT_BACKUP_WORKER: 'on' })).toBe(true);
    expect(useWorker(1e9, { ROLLOUT_BACKUP_WORKER: 'off' })).toBe(false);
    // A few small files never start a thread, whatever the machine.
    expect(useWorker(100_000, {})).toBe(false);
  });

  it('a file that grows while the backup runs is archived as read, and its manifest entry says so', async () => {
    deployTree(ws.root, 'staging', '1.0.0', { ...manyFiles(600), 'zz/grows.txt': 'short\n' });
    const grows = join(ws.root, 'deployments/staging/releases/1.0.0/zz/grows.txt');
    let grown = false;
    // Progress comes while the first files are written; zz/ is read batches later.
    const r = await createBackup(engine(ws.root), {
      worker: false,
      onProgress: () => {
        if (grown) return;
        grown = true;
        writeFileSync(grows, 'much longer now\n'.repeat(5000));
      },
    });
    expect(grown).toBe(true);
    const entries = await zipEntries(r.path);
    const data = readFileSync(grows);
    const manifest = JSON.parse(entries.get('manifest.json')!.data.toString());
    const e = manifest.entries.find((x: { path: string }) => x.path.endsWith('zz/grows.txt'));
    expect(e).toMatchObject({ size: data.length, sha256: sha(data) });
    expect(entries.get('deployments/staging/releases/1.0.0/zz/grows.txt')!.data.equals(data)).toBe(true);
    await expect(verifyBackup(r.path, { ws: wsOf(ws.root) })).resolves.toMatchObject({ ok: true });
  });

  it('a file that vanishes while the backup runs fails it naming the file, and leaves no archive behind', async () => {
    deployTree(ws.root, 'staging', '1.0.0', { ...manyFiles(600), 'zz/vanishes.txt': 'here now\n' });
    const vanishes = join(ws.root, 'deployments/staging/releases/1.0.0/zz/vanishes.txt');
    const run = createBackup(engine(ws.root), { worker: true, onProgress: () => rmSync(vanishes, { force: true }) });
    await expect(run).rejects.toThrow(StepFailedError);
    await expect(run).rejects.toThrow(/^Could not read deployments\/staging\/releases\/1\.0\.0\/zz\/vanishes\.txt for the backup of staging: .*vanishes\.txt \(or its folder\) disappeared while in use/);
    expect(readdirSync(join(ws.root, 'backups'))).toEqual([]);
  });
});
