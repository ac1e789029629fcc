// Given a workspace whose config and runbook were validated once, when a command loads its
// context again, then the validated result comes from .rollout/cache only while every byte of
// every source is unchanged, only when its HMAC proves this user's tool wrote it, and a workspace
// where the cache cannot be written still loads as before.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheFile, loadEngineContextCached, readCached } from '../../src/config/cached-context.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { type Workspace } from '../../src/config/workspace.js';
import { ConfigError } from '../../src/domain/errors.js';
import { canMount, MOUNT_SKIP, mountTmpfs } from '../helpers/mounts.js';
import { cacheFolders } from '../helpers/cache-folders.js';
import { REPO } from '../helpers/cli.js';

const { made, workspace } = cacheFolders('rollout-cache');

const rbPath = (ws: Workspace): string => join(ws.runbooksDir, 'dhash.yaml');
const op = { operator: 'tester' };
/** The context without clock (a function) for comparisons. */
const plain = (c: Awaited<ReturnType<typeof loadEngineContextCached>>): unknown => ({ ...c, clock: undefined });

describe('the config cache', () => {
  it('serves the same context as a full validation once the files were validated', async () => {
    const ws = workspace();
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
    const first = await loadEngineContextCached(ws, 'staging', op);
    const cached = readCached(ws, rbPath(ws));
    expect(cached).toBeDefined();
    const again = await loadEngineContextCached(ws, 'staging', op);
    const full = loadEngineContext(ws, 'staging', op);
    expect(plain(again)).toEqual(plain(full));
    expect(plain(first)).toEqual(plain(full));
    // The entry and the key are private to the user.
    expect(readFileSync(cacheFile(ws, rbPath(ws)), 'utf8')).toContain('"hmac"');
  });

  it('is stale after any one byte of the runbook or the config changes', async () => {
    const ws = workspace();
    await loadEngineContextCached(ws, 'staging', op);
    const files = [ws.configPath, rbPath(ws)];
    const originals = files.map((f) => readFileSync(f));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, pos, delta) => {
        const f = files[which]!;
        const buf = Buffer.from(originals[which]!);
        const i = pos % buf.length;
        buf[i] = (buf[i]! + delta) % 256;
        writeFileSync(f, buf);
        try {
          expect(readCached(ws, rbPath(ws))).toBeUndefined();
        } finally {
          writeFileSync(f, originals[which]!);
        }
        // Back to the validated bytes: the entry is current again.
        expect(readCached(ws, rbPath(ws))).toBeDefined();
      }),
      { numRuns: 40 },
    );
  });

  it('reloads a changed value instead of serving the old one', async () => {
    const ws = workspace();
    const before = await loadEngineContextCached(ws, 'staging', op);
    const rb = readFileSync(rbPath(ws), 'utf8');
    const port = before.target.target.kind === 'local' ? before.target.target.port : 0;
    writeFileSync(rbPath(ws), rb.replaceAll(String(port), String(port + 1)));
    const after = await loadEngineContextCached(ws, 'staging', op);
    expect(after.target.target.kind === 'local' && after.target.target.port).toBe(port + 1);
  });

  it('does not trust an entry whose body was edited, even with its file hashes intact', async () => {
    const ws = workspace();
    const good = await loadEngineContextCached(ws, 'staging', op);
    const file = cacheFile(ws, rbPath(ws));
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { hmac: string; body: string };
    const port = good.target.target.kind === 'local' ? good.target.target.port : 0;
    // An attacker edits the validated port (the sources still hash the same) and keeps the old HMAC.
    const forged = entry.body.replaceAll(`"port":${port}`, '"port":1');
    expect(forged).not.toBe(entry.body);
    writeFileSync(file, JSON.stringify({ hmac: entry.hmac, body: forged }));
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
    const ctx = await loadEngineContextCached(ws, 'staging', op);
    expect(ctx.target.target.kind === 'local' && ctx.target.target.port).toBe(port);
    // ... or signs it with a key of their own.
    const { createHmac } = await import('node:crypto');
    writeFileSync(file, JSON.stringify({ hmac: createHmac('sha256', Buffer.alloc(32, 7)).update(forged).digest('hex'), body: forged }));
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
    // A truncated or garbage entry is ignored as well.
    writeFileSync(file, '{"hmac":"00","bo');
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
    expect(plain(await loadEngineContextCached(ws, 'staging', op))).toEqual(plain(loadEngineContext(ws, 'staging', op)));
  });

  it('does not serve one workspace\'s entry in another, nor one user\'s entry to another', async () => {
    const a = workspace();
    const b = workspace();
    writeFileSync(rbPath(b), readFileSync(rbPath(b), 'utf8').replace('7412', '7413'));
    await loadEngineContextCached(a, 'staging', op);
    mkdirSync(join(b.root, '.rollout', 'cache'), { recursive: true });
    // Same file name in b as a's entry: the recorded paths are a's, so b validates its own files.
    cpSync(cacheFile(a, rbPath(a)), cacheFile(b, rbPath(b)));
    expect(readCached(b, rbPath(b))).toBeUndefined();
    // Another user (another state folder, so another key) does not trust a's entry.
    process.env.ROLLOUT_STATE_DIR = mkdtempSync(join(tmpdir(), 'rollout-cache-other-'));
    made.push(process.env.ROLLOUT_STATE_DIR);
    expect(readCached(a, rbPath(a))).toBeUndefined();
  });

  it('stores nothing for files that do not validate, and reports them as before', async () => {
    const ws = workspace();
    writeFileSync(rbPath(ws), `${readFileSync(rbPath(ws), 'utf8')}\nbogus_key: 1\n`);
    const full = (() => {
      try {
        loadEngineContext(ws, 'staging', op);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(full).toBeInstanceOf(ConfigError);
    await expect(loadEngineContextCached(ws, 'staging', op)).rejects.toThrow(full!.message);
    expect(readdirSync(ws.root)).not.toContain('.rollout');
  });

  it('still loads when .rollout cannot hold a cache (a file in its place)', async () => {
    const ws = workspace();
    writeFileSync(join(ws.root, '.rollout'), 'not a folder');
    const ctx = await loadEngineContextCached(ws, 'staging', op);
    expect(plain(ctx)).toEqual(plain(loadEngineContext(ws, 'staging', op)));
    expect(readCached(ws, rbPath(ws))).toBeUndefined();
  });

  it.skipIf(!canMount())(`still loads on a read-only .rollout (${MOUNT_SKIP.replace('skipped: ', 'else skipped: ')})`, async () => {
    const ws = workspace();
    const umount = mountTmpfs(join(ws.root, '.rollout'), { readOnly: true });
    try {
      const ctx = await loadEngineContextCached(ws, 'staging', op);
      expect(plain(ctx)).toEqual(plain(loadEngineContext(ws, 'staging', op)));
      expect(readCached(ws, rbPath(ws))).toBeUndefined();
      expect(readdirSync(join(ws.root, '.rollout'))).toEqual([]);
    } finally {
      umount();
    }
  });

  it('is off with ROLLOUT_CONFIG_CACHE=off', async () => {
    const ws = workspace();
    process.env.ROLLOUT_CONFIG_CACHE = 'off';
    await loadEngineContextCached(ws, 'staging', op);
    expect(readdirSync(ws.root)).not.toContain('.rollout');
  });

  it('follows a runbook\'s extends: a change to the parent makes the entry stale', async () => {
    const ws = workspace();
    cpSync(join(REPO, 'runbooks', 'emergency-rollback.yaml'), join(ws.runbooksDir, 'emergency-rollback.yaml'));
    const child = join(ws.runbooksDir, 'emergency-rollback.yaml');
    await loadEngineContextCached(ws, 'staging', { ...op, runbook: 'emergency-rollback' });
    expect(readCached(ws, child)).toBeDefined();
    writeFileSync(rbPath(ws), `${readFileSync(rbPath(ws), 'utf8')}\n# a comment\n`);
    expect(readCached(ws, child)).toBeUndefined();
  });

  it('names an unknown environment the same way from the cache', async () => {
    const ws = workspace();
    await loadEngineContextCached(ws, 'staging', op);
    expect(readCached(ws, rbPath(ws))).toBeDefined();
    await expect(loadEngineContextCached(ws, '__proto__', op)).rejects.toThrow(/Unknown environment "__proto__"/);
  });
});
