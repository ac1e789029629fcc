// What `rollout verify` starts before its modules load (src/usecases/verify-start.ts, from
// src/cli/hot-verify.ts): the hashing thread, only for a line the direct path serves that names an
// archive of 4 MiB or more, found as the command finds it (a thread started for a smaller backup
// was ended unused, and one started for a line the shared graph runs was never adopted).
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptHashThread, discardHashThread } from '../../src/backup/hash-prestart.js';
import { resolveBackupArg } from '../../src/backup/names.js';
import { directCommand } from '../../src/cli/direct.js';
import { workspaceAt as wsAt } from '../../src/config/workspace.js';
import { prestartForVerify, verifyArchiveBytes } from '../../src/usecases/verify-start.js';
import { makeWorkspace } from '../helpers/cli.js';
import { put } from '../backup/fixtures.js';

let ws: { root: string; cleanup: () => void };
const BIG = 'dhash_staging_20261123_101500.zip';
const SMALL = 'dhash_staging_20261122_101500.zip';
const PROD = 'dhash_production_20261123_101500.zip';
beforeEach(async () => {
  ws = await makeWorkspace();
  put(ws.root, `backups/${BIG}`, Buffer.alloc(5 * 1024 * 1024));
  put(ws.root, `backups/${SMALL}`, Buffer.alloc(1024));
  put(ws.root, `backups/${PROD}`, Buffer.alloc(2048));
  mkdirSync(join(ws.root, 'sub'), { recursive: true });
});
afterEach(() => {
  discardHashThread();
  ws.cleanup();
});

const line = (...words: string[]): string[] => ['node', 'cli.js', 'verify', ...words];

describe('the size of the archive a verify line names', () => {
  it('finds it as the command does: a path from here or from the workspace, a name in backups/, the newest of --env', () => {
    const sub = join(ws.root, 'sub');
    expect(verifyArchiveBytes(line(`backups/${BIG}`), ws.root)).toBe(5 * 1024 * 1024);
    expect(verifyArchiveBytes(line(join(ws.root, 'backups', SMALL)), sub)).toBe(1024);
    expect(verifyArchiveBytes(line(`backups/${BIG}`), sub)).toBe(5 * 1024 * 1024);
    expect(verifyArchiveBytes(line(PROD, '--json'), sub)).toBe(2048);
    expect(verifyArchiveBytes(line('--env', 'staging'), ws.root)).toBe(5 * 1024 * 1024);
    expect(verifyArchiveBytes(line('--json', '--env', 'production', '--config', join(ws.root, 'quality-gates-config.json')), '/')).toBe(2048);
  });

  it('is unknown for a missing file, no workspace, and every line the direct path does not serve', () => {
    expect(verifyArchiveBytes(line('backups/none.zip'), ws.root)).toBeUndefined();
    expect(verifyArchiveBytes(line('--env', 'development'), ws.root)).toBeUndefined();
    expect(verifyArchiveBytes(line('backups'), ws.root)).toBeUndefined();
    expect(verifyArchiveBytes(line(join(ws.root, 'backups', BIG)), '/')).toBeUndefined();
    for (const words of [[BIG, '--no-color'], [BIG, '--env=staging'], [BIG, '-h'], [BIG, SMALL], ['--env', 'staging', '--env', 'staging'], ['--env'], [BIG, '--env', '--json'], [BIG, '--bogus']]) {
      expect(verifyArchiveBytes(line(...words), ws.root)).toBeUndefined();
      expect(directCommand(line(...words))).toBeUndefined();
    }
    expect(verifyArchiveBytes(['node', 'cli.js', 'rollback', '--env', 'staging'], ws.root)).toBeUndefined();
  });

  it('is known only for lines the direct path serves, naming the same backup (every line of up to four words from a set)', () => {
    const pool = [BIG, SMALL, '--env', 'staging', '--json', '--config', 'quality-gates-config.json', '--no-color', '-x', '--env=staging'];
    let known = 0;
    const walk = (words: string[]): void => {
      const bytes = verifyArchiveBytes(line(...words), ws.root);
      if (bytes !== undefined) {
        known++;
        const d = directCommand(line(...words));
        expect(d, words.join(' ')).toBeDefined();
        expect(d!.name).toBe('verify');
        // (the newest of --env when no backup is named; a named file, whatever it is)
        const named = d!.args[0];
        expect(bytes).toBe(named === undefined ? 5 * 1024 * 1024 : statSync(resolveBackupArg(wsAt(ws.root), named, ws.root)).size);
      }
      if (words.length < 4) for (const w of pool) walk([...words, w]);
    };
    walk([]);
    expect(known).toBeGreaterThan(20);
  });
});

describe('the hashing thread started before verify loads', () => {
  it('starts for an archive of 4 MiB or more, not for a smaller one nor for a line the shared graph runs', async () => {
    expect(prestartForVerify(line(`backups/${SMALL}`), ws.root)).toBe(false);
    expect(adoptHashThread()).toBeUndefined();
    expect(prestartForVerify(line(`backups/${BIG}`, '--no-color'), ws.root)).toBe(false);
    expect(adoptHashThread()).toBeUndefined();
    expect(prestartForVerify(line(`backups/${BIG}`), ws.root)).toBe(true);
    const early = adoptHashThread();
    expect(early?.thread).toBeDefined();
    await early!.thread.terminate();
  });
});
