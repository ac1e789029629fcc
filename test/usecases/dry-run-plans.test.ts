// A dry run and the real run of backup and migrate come from one list: the backup's dry run lists
// exactly the entries the real backup's manifest then holds, and the migrate dry run names exactly
// the migrations (and operations) the real run then applies or undoes, and the smoke dry run the checks
// the real run then makes. Real files, temp workspaces.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBackupManifest } from '../../src/backup/verify.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { createBackup } from '../../src/usecases/backup.js';
import { migrateWithLog } from '../../src/usecases/migrate.js';
import { planSmoke, smoke } from '../../src/usecases/smoke.js';
import { makeWorkspace } from '../helpers/cli.js';
import { deployTree, engine } from '../backup/fixtures.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('backup --dry-run', () => {
  it('lists the very entries the real backup then archives (path, kind, size, link target)', async () => {
    deployTree(ws.root, 'staging', '1.0.0', { 'lib/data.bin': Buffer.alloc(4321, 2), 'odd name/__proto__': 'x' });
    const dry = await createBackup(engine(ws.root), { dryRun: true });
    expect(dry.plan?.length).toBeGreaterThan(5);
    const real = await createBackup(engine(ws.root), {});
    const manifest = await readBackupManifest(real.path, real.file);
    const shape = (e: { path: string; kind: string; size?: number; target?: string }): string => `${e.kind} ${e.path}${e.size !== undefined ? ` ${e.size}` : ''}${e.target ? ` -> ${e.target}` : ''}`;
    expect(manifest.entries.map(shape).sort()).toEqual(dry.plan!.map(shape).sort());
    expect([dry.files, dry.bytes]).toEqual([real.files, real.bytes]);
  });
});

describe('migrate --dry-run', () => {
  const ctx = () => loadEngineContext(workspaceAt(ws.root), 'development', { operator: 'carol' });
  it.each(['forward', 'backward'] as const)('%s: names the migrations and operations the real run then runs, in order', async (direction) => {
    if (direction === 'backward') await migrateWithLog(ctx(), { direction: 'forward', dryRun: false, command: 'test' });
    const dry = await migrateWithLog(ctx(), { direction, dryRun: true, command: 'test' });
    const real = await migrateWithLog(ctx(), { direction, dryRun: false, command: 'test' });
    expect(real.result.ran.length).toBeGreaterThan(0);
    expect(real.result.ran).toEqual(dry.result.ran);
    expect(real.result.plan).toEqual(dry.result.plan.map((l) => l.replace(/^would /, '')));
  });
});

describe('smoke --dry-run', () => {
  it.each([['all', 'post-deploy'], ['critical', 'post-rollback']] as const)('tier %s, phase %s: lists the checks the real run then makes, in order', async (tier, phase) => {
    const ctx = loadEngineContext(workspaceAt(ws.root), 'development', { operator: 'carol' });
    const planned = planSmoke(ctx, { tier, phase });
    expect(planned.length).toBeGreaterThan(0);
    // Nothing runs in this workspace: every check fails, and is still made.
    const real = await smoke(ctx, { tier, phase });
    expect(real.results.map((r) => r.id)).toEqual(planned.map((c) => c.id));
  });
});
