// A backup restores only what the environment's backup covers (issue #13): crafted backups whose
// .sha256 is recomputed (so the hash cannot stop them) name a root outside the environment's scope,
// a root of another environment, or mark a never-absent root absent. verify refuses each (exit 3,
// naming the path), `rollout rollback` refuses each, and no file of the workspace changes.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/usecases/backup.js';
import { stageBackup } from '../../src/backup/restore.js';
import { backupScope, checkManifestScope, scopeRoots } from '../../src/backup/scope.js';
import { planBackup } from '../../src/backup/state.js';
import { makeTarget } from '../../src/targets/make-target.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { craftZip, deployTree, engine, manifestFor, put, writeValidChecksum, wsOf, type CraftEntry, refused } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeEach(async () => {
  ws = await makeWorkspace();
  deployTree(ws.root, 'production', '1.0.0');
  deployTree(ws.root, 'staging', '1.0.0');
});
afterEach(() => ws.cleanup());

const REL = 'deployments/production/releases';

/** Every file and link of the workspace that a restore could touch, with its content hash. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out.set(rel, `-> ${readlinkSync(abs)}`);
    else if (st.isFile()) out.set(rel, createHash('sha256').update(readFileSync(abs)).digest('hex'));
    else if (st.isDirectory()) {
      out.set(`${rel}/`, 'dir');
      for (const n of readdirSync(abs)) {
        const child = rel ? `${rel}/${n}` : n;
        // What the attempt itself writes (its log, the notification fallback, the lock) is not state.
        if (['logs', 'notifications', '.rollout', 'backups'].includes(child)) continue;
        walk(child);
      }
    }
  };
  walk('');
  return out;
}

async function crafted(name: string, entries: CraftEntry[], roots: { path: string; kind: 'file' | 'dir' | 'symlink' | 'absent' }[]): Promise<string> {
  const p = join(ws.root, 'backups', name);
  put(ws.root, `backups/${name}`, '');
  const m = manifestFor('production', entries, []);
  m.roots = roots;
  await craftZip(p, entries, m);
  // A valid .sha256: only the scope rule can stop these.
  writeValidChecksum(ws.root, p);
  return p;
}

const releaseEntries: CraftEntry[] = [{ name: `${REL}/`, dir: true }, { name: `${REL}/1.0.0/`, dir: true }, { name: `${REL}/1.0.0/release.json`, data: '{"version":"1.0.0"}' }];


const hostile = [
  {
    what: 'an extra root runbooks/dhash.yaml (the runbook replaced on rollback)',
    name: 'dhash_production_20261123_101501.zip',
    entries: [...releaseEntries, { name: 'runbooks/dhash.yaml', data: 'name: evil\n' }],
    roots: [{ path: REL, kind: 'dir' as const }, { path: 'runbooks/dhash.yaml', kind: 'file' as const }],
    message: /"runbooks\/dhash\.yaml", which a backup of production never covers/,
  },
  {
    what: "staging's config inside a production backup",
    name: 'dhash_production_20261123_101502.zip',
    entries: [...releaseEntries, { name: 'config/staging/', dir: true }, { name: 'config/staging/dhash.json', data: '{"env":"evil"}' }],
    roots: [{ path: REL, kind: 'dir' as const }, { path: 'config/staging/dhash.json', kind: 'file' as const }],
    message: /"config\/staging\/dhash\.json", which belongs to environment staging/,
  },
  {
    what: 'the shipped releases folder marked absent (a restore would delete it)',
    name: 'dhash_production_20261123_101503.zip',
    entries: releaseEntries,
    roots: [{ path: REL, kind: 'dir' as const }, { path: 'releases', kind: 'absent' as const }],
    message: /"releases", which a backup of production never covers/,
  },
  {
    what: "the environment's own releases marked absent",
    name: 'dhash_production_20261123_101504.zip',
    entries: [{ name: 'config/production/dhash.json', data: '{}' }],
    roots: [{ path: REL, kind: 'absent' as const }, { path: 'config/production/dhash.json', kind: 'file' as const }],
    message: /marks "deployments\/production\/releases" absent, which a backup of production never does/,
  },
  {
    what: 'an entry outside every root the manifest names',
    name: 'dhash_production_20261123_101505.zip',
    entries: [...releaseEntries, { name: 'config/production/dhash.json', data: '{}' }],
    roots: [{ path: REL, kind: 'dir' as const }, { path: 'config/production/dhash.json', kind: 'absent' as const }],
    message: /lists "config\/production\/dhash\.json", outside the paths a backup of production covers/,
  },
];

describe('backup scope', () => {
  it('is the one list backup archives: a real backup names exactly the scope roots that exist', async () => {
    const ctx = engine(ws.root, 'production');
    const plan = await planBackup(ctx, makeTarget(ctx));
    const scope = scopeRoots(ws.root, 'production', ctx.target);
    expect(scope.map((r) => r.path)).toEqual([REL, 'deployments/production/current', 'config/production/dhash.json', 'migrations/production_migration_state.json', 'deployments/production/current.json']);
    // current.json does not exist: the backup leaves it out rather than recording it absent.
    expect(plan.roots).toEqual([
      { path: REL, kind: 'dir' },
      { path: 'deployments/production/current', kind: 'symlink' },
      { path: 'config/production/dhash.json', kind: 'file' },
      { path: 'migrations/production_migration_state.json', kind: 'file' },
    ]);
    const b = await createBackup(ctx, {});
    const v = await verifyBackup(b.path, { ws: wsOf(ws.root), expectEnv: 'production' });
    expect(v.manifest.roots).toEqual(plan.roots);
  });

  it('a missing migration state is recorded absent and still verifies', async () => {
    rmSync(join(ws.root, 'migrations/production_migration_state.json'));
    const b = await createBackup(engine(ws.root, 'production'), {});
    const v = await verifyBackup(b.path, { ws: wsOf(ws.root) });
    expect(v.manifest.roots).toContainEqual({ path: 'migrations/production_migration_state.json', kind: 'absent' });
  });

  it('accepts a crafted backup that stays inside the scope (the control for the refusals below)', async () => {
    const p = await crafted('dhash_production_20261123_101500.zip', releaseEntries, [{ path: REL, kind: 'dir' }, { path: 'migrations/production_migration_state.json', kind: 'absent' }]);
    const v = await verifyBackup(p, { ws: wsOf(ws.root), expectEnv: 'production' });
    expect(v.ok).toBe(true);
  });

  for (const h of hostile) {
    it(`verify refuses ${h.what}, naming it`, async () => {
      const p = await crafted(h.name, h.entries, h.roots);
      const e = await refused(verifyBackup(p, { ws: wsOf(ws.root), expectEnv: 'production' }));
      expect(e.message).toMatch(h.message);
      expect(e.message).toContain(`backups/${h.name}`);
    });
  }

  it('the restore checks again by itself: roots handed in from outside the scope are refused before anything is written', async () => {
    const before = snapshot(ws.root);
    const p = await crafted(hostile[0]!.name, hostile[0]!.entries, hostile[0]!.roots);
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'production').runbook, 'production');
    const e = await refused(stageBackup(wsOf(ws.root), p, 'backups/x.zip', hostile[0]!.roots, 'test', { scope }));
    expect(e.message).toMatch(/runbooks\/dhash\.yaml/);
    expect(snapshot(ws.root)).toEqual(before);
  });

  it('the restore refuses an archive swapped after it was verified', async () => {
    const good = await crafted('dhash_production_20261123_101500.zip', releaseEntries, [{ path: REL, kind: 'dir' }]);
    const v = await verifyBackup(good, { ws: wsOf(ws.root), expectEnv: 'production' });
    const evil = await crafted(hostile[0]!.name, hostile[0]!.entries, hostile[0]!.roots);
    writeFileSync(good, readFileSync(evil));
    const before = snapshot(ws.root);
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'production').runbook, 'production');
    const e = await refused(stageBackup(wsOf(ws.root), good, v.file, v.manifest.roots, 'test', { scope }));
    expect(e.message).toMatch(/runbooks\/dhash\.yaml/);
    expect(snapshot(ws.root)).toEqual(before);
  });

  it('checkManifestScope refuses a root whose own entry is missing or of another kind', () => {
    const scope = backupScope(wsOf(ws.root), engine(ws.root, 'production').runbook, 'production');
    expect(() => checkManifestScope({ env: 'production', roots: [{ path: REL, kind: 'dir' }], entries: [] }, scope, 'b.zip')).toThrow(/the root "deployments\/production\/releases" is listed as a dir but the manifest has no entry/);
    expect(() => checkManifestScope({ env: 'production', roots: [{ path: REL, kind: 'dir' }], entries: [{ path: REL, kind: 'symlink', target: 'x' }] }, scope, 'b.zip')).toThrow(/has a symlink at that path/);
    expect(() => checkManifestScope({ env: 'staging', roots: [], entries: [] }, scope, 'b.zip')).toThrow(/the manifest is of staging, not of production/);
  });

  it('rollout rollback refuses each hostile backup (exit 3) and no file of the workspace changes', async () => {
    for (const h of hostile) await crafted(h.name, h.entries, h.roots);
    const before = snapshot(ws.root);
    for (const h of hostile) {
      const r = await runCli(['rollback', '--env', 'production', '--force', '--backup', `backups/${h.name}`], { cwd: ws.root, env: { ROLLOUT_OPERATOR: 'mallory' } });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(h.message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(snapshot(ws.root)).toEqual(before);
    }
    expect(existsSync(join(ws.root, 'rollbacks'))).toBe(false);
    const v = await runCli(['verify', `backups/${hostile[1]!.name}`], { cwd: ws.root });
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(hostile[1]!.message);
  }, 90_000);
});
