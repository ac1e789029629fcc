// Given a restore of many small files whose file-creating thread dies (its worker file broken by
// an incomplete or mismatched install, or the thread ending by itself), when the restore fails,
// then it says so in one sentence, exit 1, and never calls the (good) archive damaged: that was
// "backups/x.zip is damaged: the file-creating thread stopped (boom)", exit 3, which would make an
// operator throw a good backup away during an incident. No staging folder is left behind.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitCode, StepFailedError } from '../../src/domain/errors.js';
import { stageBackup } from '../../src/backup/restore.js';
import { backupScope } from '../../src/backup/scope.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { createBackup } from '../../src/usecases/backup.js';
import { makeWorkspace } from '../helpers/cli.js';
import { deployTree, engine, wsOf } from './fixtures.js';

// The worker as a broken worker file would run: it throws as it loads (or, `late`, after its first batch).
const how = vi.hoisted(() => ({ late: false }));
vi.mock('../../src/backup/worker-entry.js', () => ({
  startWorker: (_name: string, opts: { workerData?: unknown }) =>
    new Worker(
      how.late
        ? "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => { throw new Error('boom late'); });"
        : "throw new Error('boom');",
      { eval: true, workerData: opts.workerData },
    ),
}));

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('a restore whose file-creating thread dies', () => {
  for (const late of [false, true]) {
    it(`fails in one sentence, exit 1, not blaming the archive, no staging left (${late ? 'after a batch' : 'as it starts'})`, async () => {
      how.late = late;
      const extra: Record<string, string> = {};
      for (let i = 0; i < 200; i++) extra[`lib/f${i}.js`] = `export const v = ${i};\n`.repeat(20);
      deployTree(ws.root, 'staging', '1.0.0', extra);
      const p = (await createBackup(engine(ws.root), {})).path;
      const m = (await verifyBackup(p, { ws: wsOf(ws.root) })).manifest;
      const scope = backupScope(wsOf(ws.root), engine(ws.root, 'staging').runbook, 'staging');
      const e = await stageBackup(wsOf(ws.root), p, 'backups/x.zip', m.roots, 't', { scope, writeThread: true }).then(
        () => new Error('expected the restore to fail'),
        (x: unknown) => x as Error,
      );
      expect(e).toBeInstanceOf(StepFailedError);
      expect((e as StepFailedError).exitCode).toBe(ExitCode.failed);
      expect(e.message).toMatch(/^backups\/x\.zip could not be restored: the file-creating thread stopped \(boom( late)?\); the archive is not at fault\.$/);
      expect(e.message).not.toMatch(/damaged/);
      expect(readdirSync(join(ws.root, 'deployments/staging')).filter((n) => n.includes('rollback'))).toEqual([]);
    });
  }
});
