// Given a backup of megabytes of small files (the packing thread's case), when its worker file
// cannot be started (dist/workers/pack-worker.js missing: an incomplete install or build), then
// the backup packs on this thread and succeeds, as a restore does without its writer thread: the
// thread is a speed-up, and "Backup of staging failed ... pack-worker.js is missing" (exit 1)
// blocked every deploy --backup-first on a good machine. The archive verifies.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyBackup } from '../../src/backup/verify.js';
import { createBackup } from '../../src/usecases/backup.js';
import { makeWorkspace } from '../helpers/cli.js';
import { deployTree, engine, wsOf } from './fixtures.js';

const started = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../src/backup/worker-entry.js', () => ({
  startWorker: (name: string) => {
    started.n++;
    throw new Error(`the worker file workers/${name}.js is missing beside /x/dist/chunks/c.js (an incomplete build?)`);
  },
}));

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('a backup whose packing thread cannot start', () => {
  it('packs on this thread instead, and the archive verifies', async () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 300; i++) extra[`lib/m${i}.js`] = `export const v${i} = ${i};\n`.repeat(200);
    deployTree(ws.root, 'staging', '1.0.0', extra);
    const b = await createBackup(engine(ws.root), { worker: true });
    expect(started.n).toBeGreaterThan(0);
    const r = await verifyBackup(b.path, { ws: wsOf(ws.root) });
    expect(r.entries).toBeGreaterThan(300);
  });
});
