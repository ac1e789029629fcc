// The restore's file writer (src/backup/write-thread.ts): files created on a second thread in
// batches must come out exactly as the synchronous writer makes them (bytes, modes, new folders,
// empty files, a file larger than a batch), a create that fails (an existing file: 'wx') must
// reach the caller as the same error and stop further creates, and once close() resolves nothing
// more is created (a restore that failed removes its staging right after). Real files, real threads.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inlineWriter, threadWriter, type FileWriter } from '../../src/backup/write-thread.js';
import { plannedSwaps, stageBackup } from '../../src/backup/restore.js';
import { backupScope } from '../../src/backup/scope.js';
import { scanArchive, verifyBackup } from '../../src/backup/verify.js';
import { createBackup } from '../../src/usecases/backup.js';
import { makeWorkspace } from '../helpers/cli.js';
import { RefusedError } from '../../src/domain/errors.js';
import { craftZip, deployTree, engine, manifestFor, wsOf, type CraftEntry } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
let writers: FileWriter[] = [];
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(async () => {
  for (const w of writers) await w.close();
  writers = [];
  ws.cleanup();
});

/** 700 files in 30 new folders: sizes 0 to ~9 KiB, one of 600 KiB (larger than a batch), modes 0644/0755/0600. */
function files(base: string): { path: string; mode: number; data: Buffer }[] {
  const out = Array.from({ length: 700 }, (_, i) => ({
    path: join(base, `d${i % 30}`, i % 2 ? 'lib' : 'dist', `f${i}.js`),
    mode: [0o644, 0o755, 0o600][i % 3]!,
    data: Buffer.from(`export const v${i} = ${i};\n`.repeat(i % 400)),
  }));
  out.push({ path: join(base, 'big', 'blob.bin'), mode: 0o644, data: Buffer.alloc(600 * 1024, 7) });
  out.push({ path: join(base, 'big', 'after.txt'), mode: 0o644, data: Buffer.from('after the big one\n') });
  return out;
}

async function writeAll(w: FileWriter, list: ReturnType<typeof files>): Promise<void> {
  // Several puts in flight at once, as the restore's concurrent entries do; the data buffer is
  // reused right after each put (the writer must have copied it).
  await Promise.all(
    Array.from({ length: 8 }, async (_, k) => {
      for (let i = k; i < list.length; i += 8) {
        const f = list[i]!;
        const scratch = Buffer.from(f.data);
        await w.ready();
        w.put(f.path, f.mode, scratch);
        scratch.fill(0xee);
      }
    }),
  );
  await w.flush();
}

describe('file writers', () => {
  it('the thread writer creates the same files, bytes and modes as the synchronous one', async () => {
    const a = join(ws.root, 'a');
    const b = join(ws.root, 'b');
    const t = threadWriter();
    writers.push(t);
    await writeAll(t, files(a));
    await writeAll(inlineWriter(), files(b));
    for (const f of files(a)) {
      const twin = f.path.replace(a, b);
      expect(readFileSync(f.path).equals(f.data), f.path).toBe(true);
      expect(readFileSync(twin).equals(f.data), twin).toBe(true);
      // Both through open(2) with the mode, under the same umask.
      expect(lstatSync(f.path).mode & 0o777, f.path).toBe(lstatSync(twin).mode & 0o777);
    }
    expect(execFileSync('diff', ['-r', a, b], { encoding: 'utf8' })).toBe('');
  });

  it('a create that fails (the file exists) is thrown as the same error, and nothing after it is created', async () => {
    const base = join(ws.root, 'c');
    const list = files(base).slice(0, 200);
    mkdirSync(join(base, 'd5', 'lib'), { recursive: true });
    writeFileSync(join(base, 'd5', 'lib', 'f5.js'), 'was here');
    const t = threadWriter();
    writers.push(t);
    let err: NodeJS.ErrnoException | undefined;
    try {
      for (const f of list) {
        await t.ready();
        t.put(f.path, f.mode, f.data);
      }
      await t.flush();
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.code).toBe('EEXIST');
    expect(err?.message).toMatch(/^EEXIST: file already exists, open '.*d5\/lib\/f5\.js'$/);
    expect(readFileSync(join(base, 'd5', 'lib', 'f5.js'), 'utf8')).toBe('was here');
    // Creates stop at the failure: the files put after it do not exist.
    const after = list.slice(6).filter((f) => existsSync(f.path));
    expect(after).toEqual([]);
    expect(() => t.put(join(base, 'late.txt'), 0o644, Buffer.from('x'))).toThrow(/EEXIST/);
    await expect(t.ready()).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('after close() nothing more is created, and put refuses', async () => {
    const base = join(ws.root, 'e');
    const t = threadWriter();
    for (const f of files(base).slice(0, 300)) {
      await t.ready();
      t.put(f.path, f.mode, f.data);
    }
    await t.close();
    const count = (): number => (existsSync(base) ? readdirSync(base, { recursive: true }).length : 0);
    const seen = count();
    await new Promise((r) => setTimeout(r, 200));
    expect(count()).toBe(seen);
    expect(() => t.put(join(base, 'x.txt'), 0o644, Buffer.from('x'))).toThrow(/closed/);
  });
});

describe('the built worker file', () => {
  it('a restore run from the bundle (dist/) creates its files on dist/workers/write-worker.js', async () => {
    // The CLI's bundle, built by the global setup with scripts/build.mjs: the chunk that holds the
    // scan (what a rollback from dist/ or from the installed package runs), imported as it is.
    // writeThread: true has no fallback: the restore fails unless that chunk finds and starts
    // the worker file beside it.
    const dist = process.env.ROLLOUT_TEST_DIST!;
    expect(existsSync(join(dist, 'workers', 'write-worker.js'))).toBe(true);
    const chunk = readdirSync(join(dist, 'chunks')).find((f) => f.endsWith('.js') && readFileSync(join(dist, 'chunks', f), 'utf8').includes('startWorker("write-worker"'));
    expect(chunk).toBeDefined();
    const mod = (await import(pathToFileURL(join(dist, 'chunks', chunk!)).href)) as Record<string, unknown>;
    const scan = Object.values(mod).find((v): v is typeof scanArchive => typeof v === 'function' && v.name === 'scanArchive');
    expect(scan).toBeDefined();
    const extra: Record<string, string> = {};
    for (let i = 0; i < 300; i++) extra[`node_modules/p${i % 7}/f${i}.js`] = `module.exports = ${i};\n`.repeat(1 + (i % 40));
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const p = (await createBackup(engine(ws.root), {})).path;
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    const out = join(ws.root, 'out');
    const made: string[] = [];
    await scan!(p, 'backups/x.zip', {
      scope: () => scope,
      destination: ws.root,
      writeThread: true,
      sink: {
        file: (e) => (made.push(e.path), { path: join(out, e.path), mode: (e.mode ?? 0o644) & 0o777 }),
        // (folders and links are the restore's own business: only the files are the writer's)
        finish: () => Promise.resolve(),
      },
    });
    expect(made.length).toBeGreaterThan(300);
    for (const f of made) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(ws.root, f))), f).toBe(true);
      expect(lstatSync(join(out, f)).mode & 0o777, f).toBe(lstatSync(join(ws.root, f)).mode & 0o777);
    }
  });
});

describe('restore through the writer thread', () => {
  it('stages the same tree with the thread as without it', async () => {
    const extra: Record<string, string | Buffer> = {};
    for (let i = 0; i < 400; i++) extra[`node_modules/p${i % 9}/f${i}.js`] = `module.exports = ${i};\n`.repeat(1 + (i % 50));
    extra['node_modules/empty.js'] = '';
    extra['node_modules/__proto__'] = 'a file named __proto__';
    extra['node_modules/big.bin'] = Buffer.alloc(2 * 1024 * 1024, 3); // small once deflated (read whole)
    // Large entries, copied on the writer's thread (copy-large.ts): stored (incompressible) and deflated (over 8 MiB).
    extra['node_modules/model.bin'] = randomBytes(3 * 1024 * 1024);
    extra['node_modules/data.txt'] = Buffer.from('export const rows = [1, 2, 3];\n'.repeat(300_000));
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const p = (await createBackup(engine(ws.root), {})).path;
    const m = (await verifyBackup(p, { ws: wsOf(ws.root) })).manifest;
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    const staged = join(ws.root, 'deployments/staging/.releases.rollback-t.new');
    await stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 't', { scope, writeThread: true });
    expect(execFileSync('diff', ['-r', staged, join(ws.root, 'deployments/staging/releases')], { encoding: 'utf8' })).toBe('');
    const modes = (dir: string): string => execFileSync('sh', ['-c', `cd '${dir}' && find . -printf '%m %y %p\\n' | sort`], { encoding: 'utf8' });
    expect(modes(staged)).toBe(modes(join(ws.root, 'deployments/staging/releases')));
    const single = join(ws.root, 'deployments/staging/.releases.rollback-s.new');
    await stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 's', { scope, writeThread: false });
    expect(modes(single)).toBe(modes(staged));
    expect(execFileSync('diff', ['-r', staged, single], { encoding: 'utf8' })).toBe('');
    // No roots handed in: the restore takes them from the manifest it checks, and stages the same.
    const own = await stageBackup(wsOf(ws.root), p, 'backups/x.zip', undefined, 'o', { scope });
    expect(own).toEqual(plannedSwaps(wsOf(ws.root), m.roots, 'o'));
    expect(execFileSync('diff', ['-r', staged, join(ws.root, 'deployments/staging/.releases.rollback-o.new')], { encoding: 'utf8' })).toBe('');
  });
});

describe('large entries on the writer thread', () => {
  it.each([
    ['a deflated one (over 8 MiB)', 'data.txt', false],
    ['a stored one (incompressible)', 'model.bin', true],
  ] as const)('%s whose bytes are not the ones the manifest hashes is refused, with and without the thread, nothing left staged', async (_what, file, store) => {
    const BASE = 'deployments/staging/releases';
    const body = store ? randomBytes(2 * 1024 * 1024) : Buffer.from('export const rows = [1, 2, 3];\n'.repeat(300_000));
    const entries: CraftEntry[] = [{ name: `${BASE}/`, dir: true }, { name: `${BASE}/${file}`, data: body, store }];
    // The manifest hashes other bytes of the same size: the CRC-32 (the archive's own) holds, the SHA-256 does not.
    const other = Buffer.from(body);
    other[1000] = other[1000]! ^ 0xff;
    const p = join(ws.root, 'backups', 'dhash_staging_20261123_101520.zip');
    mkdirSync(join(ws.root, 'backups'), { recursive: true });
    await craftZip(p, entries, manifestFor('staging', [entries[0]!, { ...entries[1]!, data: other }], [BASE]));
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    for (const writeThread of [true, false]) {
      let e: unknown;
      try {
        await stageBackup(wsOf(ws.root), p, 'backups/x.zip', manifestFor('staging', entries, [BASE]).roots, 'test', { scope, writeThread });
      } catch (err) {
        e = err;
      }
      expect(e, `thread ${writeThread}`).toBeInstanceOf(RefusedError);
      expect((e as Error).message).toBe(`backups/x.zip: the SHA-256 of "${BASE}/${file}" does not match manifest.json; the archive is damaged.`);
      expect(existsSync(join(ws.root, 'deployments/staging/.releases.rollback-test.new'))).toBe(false);
    }
  });
});

