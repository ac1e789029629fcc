// Given a restore of many small files (the writer thread's case), when the folder it stages into
// is full (ENOSPC) or read-only (EROFS), then it fails the same way with the thread as without:
// one sentence, exit 1, naming the write that failed and never calling the archive damaged (that
// was exit 3, "backups/x.zip is damaged: ENOSPC", which could get a good backup thrown away);
// no staging folder is left behind and the deployed files stay as they were.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, StepFailedError } from '../../src/domain/errors.js';
import { stageBackup } from '../../src/backup/restore.js';
import { backupScope } from '../../src/backup/scope.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { createBackup } from '../../src/usecases/backup.js';
import { makeWorkspace } from '../helpers/cli.js';
import { MOUNT_SKIP, canMount, mountTmpfs } from '../helpers/mounts.js';
import { deployTree, engine, wsOf } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
const unmounts: (() => void)[] = [];
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => {
  for (const u of unmounts.splice(0)) u();
  ws.cleanup();
});

describe.skipIf(!canMount())(`restore's writer thread on a bad disk (${MOUNT_SKIP})`, () => {
  /** A backup of 300 small files, then deployments/staging moved onto a tmpfs (read-only, or of `sizeKb`). */
  async function setUp(fs: { readOnly?: boolean; sizeKb?: number; large?: 'stored' | 'deflated' }): Promise<{ run: (thread: boolean, id: string) => Promise<Error>; dir: string }> {
    const extra: Record<string, string | Buffer> = {};
    for (let i = 0; i < 300; i++) extra[`lib/m${i % 7}/f${i}.js`] = `export const v = ${i};\n`.repeat(40);
    // A large (streamed) entry: copied first, on the writer's thread when there is one; stored
    // (incompressible), or deflated (over 8 MiB once inflated: inflated piece by piece).
    if (fs.large === 'stored') extra['lib/model.bin'] = randomBytes(3 * 1024 * 1024);
    if (fs.large === 'deflated') extra['lib/data.txt'] = Buffer.from('export const rows = [1, 2, 3];\n'.repeat(300_000));
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const p = (await createBackup(engine(ws.root), {})).path;
    const m = (await verifyBackup(p, { ws: wsOf(ws.root) })).manifest;
    const dir = join(ws.root, 'deployments/staging');
    const copy = join(ws.root, 'staging-copy');
    renameSync(dir, copy);
    if (fs.readOnly) unmounts.push(mountTmpfs(dir, { readOnly: true }));
    else {
      // Room for the deployed tree (a 4 KiB page a small file), not for a second copy of it beside.
      unmounts.push(mountTmpfs(dir, { sizeKb: fs.sizeKb ?? 1024 }));
      cpSync(copy, dir, { recursive: true });
    }
    rmSync(copy, { recursive: true, force: true });
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
    const run = async (thread: boolean, id: string): Promise<Error> => {
      try {
        await stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, id, { scope, writeThread: thread });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected the restore to fail');
    };
    return { run, dir };
  }

  /** One sentence, exit 1, naming the staging folder and the cause, not blaming the archive. */
  function failedWrite(e: Error, thread: boolean, cause: RegExp): void {
    const at = `thread ${thread}: ${e.message}`;
    expect(e, at).toBeInstanceOf(StepFailedError);
    expect((e as StepFailedError).exitCode, at).toBe(ExitCode.failed);
    expect(e.message, at).toMatch(/^backups\/x\.zip could not be restored: writing deployments\/staging\/\.releases\.rollback-(thr|one)\.new\S* failed \(/);
    expect(e.message, at).toMatch(cause);
    expect(e.message, at).toMatch(/the archive is not at fault\.$/);
    expect(e.message, at).not.toMatch(/damaged/);
    expect(e.message.split('\n'), at).toHaveLength(1);
  }

  it('a full disk: ENOSPC with and without the thread, no staging left, releases unchanged', async () => {
    const { run, dir } = await setUp({ sizeKb: 1800 });
    const before = readdirSync(join(dir, 'releases/1.0.0/lib'), { recursive: true }).sort();
    for (const thread of [true, false]) {
      const e = await run(thread, thread ? 'thr' : 'one');
      failedWrite(e, thread, /ENOSPC: no space left on device/);
      expect(readdirSync(dir).filter((n) => n.includes('rollback'))).toEqual([]);
    }
    expect(readdirSync(join(dir, 'releases/1.0.0/lib'), { recursive: true }).sort()).toEqual(before);
  });

  it.each([
    ['stored', 5200],
    ['deflated', 13_000],
  ] as const)('a full disk while a large %s file is copied: ENOSPC with and without the thread, naming the file that failed', async (large, sizeKb) => {
    const { run, dir } = await setUp({ sizeKb, large });
    for (const thread of [true, false]) {
      const e = await run(thread, thread ? 'thr' : 'one');
      failedWrite(e, thread, /ENOSPC: no space left on device/);
      // The large file's write or a small file's (lib/ or app/), whichever hit the full disk first
      // (the large file's writes run behind its reads, so either may): a file, not "its files".
      expect(e.message).toMatch(/writing deployments\/staging\/\.releases\.rollback-(thr|one)\.new\/1\.0\.0\/(lib|app)\/\S+ failed/);
      expect(readdirSync(dir).filter((n) => n.includes('rollback'))).toEqual([]);
    }
  });

  it('a read-only folder: refused with and without the thread, nothing created', async () => {
    const { run, dir } = await setUp({ readOnly: true });
    for (const thread of [true, false]) {
      const e = await run(thread, thread ? 'thr' : 'one');
      // The real cause, not the ENOENT a recursive mkdir reports for a read-only parent.
      failedWrite(e, thread, /EROFS: read-only file system, mkdir /);
      expect(existsSync(join(dir, `.releases.rollback-${thread ? 'thr' : 'one'}.new`))).toBe(false);
    }
  });
});
