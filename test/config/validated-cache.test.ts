// Given a file validated once (a release.json, a migration file), when it is validated again, then
// the validated value comes from .rollout/cache only for the exact same bytes, of the same kind,
// validated by this build, under this user's HMAC; anything else (changed, tampered, truncated,
// foreign, another build) is validated again, a failed validation is never kept, and processes
// writing the same entry at once all get the right value.
import { createHmac } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/config/cached-context.js';
import { cachedValidation, validatedCacheFile } from '../../src/config/validated-cache.js';
import { finished, spawnTs } from '../helpers/tsx.js';
import { cacheFolders } from '../helpers/cache-folders.js';
import { createHash } from 'node:crypto';

// This user's cache state in a temp folder and the cache on for each test (vitest restores both).
const { made, state } = cacheFolders('rollout-vcache');

function root(): string {
  const d = mkdtempSync(join(tmpdir(), 'rollout-vcache-ws-'));
  made.push(d);
  return d;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A validator that counts its runs and returns the parsed JSON with a default filled in. */
function counter(): { runs: number; validate: (b: Buffer) => () => unknown } {
  const c = { runs: 0, validate: (b: Buffer) => () => {
    c.runs++;
    return { target: 'config/{env}/dhash.json', ...(JSON.parse(b.toString('utf8')) as object) };
  } };
  return c;
}

describe('the validated-file cache', () => {
  const bytes = Buffer.from('{"id":"001-a","forward":[{"op":"set","path":"x","value":[1,{"y":null}]}]}');

  it('validates once, then serves the same value for the same bytes', async () => {
    const r = root();
    const c = counter();
    const first = await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    const again = await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    expect(c.runs).toBe(1);
    expect(again).toEqual(first);
    expect(readFileSync(validatedCacheFile(r, 'migration', sha(bytes)), 'utf8')).toContain('"hmac"');
  });

  it('a changed byte, or another kind of file with the same bytes, is validated again', async () => {
    const r = root();
    const c = counter();
    await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    const other = Buffer.from(bytes.toString().replace('001-a', '001-b'));
    expect(await cachedValidation(r, 'migration', other, c.validate(other))).toMatchObject({ id: '001-b' });
    expect(c.runs).toBe(2);
    // The migration entry copied to where a release entry of the same bytes would be: its kind says no.
    copyFileSync(validatedCacheFile(r, 'migration', sha(bytes)), validatedCacheFile(r, 'release', sha(bytes)));
    await cachedValidation(r, 'release', bytes, c.validate(bytes));
    expect(c.runs).toBe(3);
  });

  it('an edited, truncated or unsigned entry is not trusted: the file is validated and the true value returned', async () => {
    const r = root();
    const c = counter();
    const file = validatedCacheFile(r, 'migration', sha(bytes));
    await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { body: string; hmac: string };
    // The value swapped for another (a crafted "valid" result), the HMAC left as it was.
    writeFileSync(file, JSON.stringify({ ...entry, body: entry.body.replace('001-a', '001-evil') }));
    expect(await cachedValidation(r, 'migration', bytes, c.validate(bytes))).toMatchObject({ id: '001-a' });
    expect(c.runs).toBe(2);
    for (const broken of [readFileSync(file, 'utf8').slice(0, 40), '', 'null', JSON.stringify({ body: entry.body })]) {
      writeFileSync(file, broken);
      expect(await cachedValidation(r, 'migration', bytes, c.validate(bytes))).toMatchObject({ id: '001-a' });
    }
    expect(c.runs).toBe(6);
  });

  it('an entry signed with this user\'s key but written by another build is validated again', async () => {
    const r = root();
    const c = counter();
    await cachedValidation(r, 'migration', bytes, c.validate(bytes)); // makes the key
    const key = cacheKey(false)!;
    const body = JSON.stringify({ format: 1, build: 'another-build', kind: 'migration', sha256: sha(bytes), value: { id: 'from-another-build' } });
    writeFileSync(validatedCacheFile(r, 'migration', sha(bytes)), JSON.stringify({ hmac: createHmac('sha256', key).update(body).digest('hex'), body }));
    expect(await cachedValidation(r, 'migration', bytes, c.validate(bytes))).toMatchObject({ id: '001-a' });
    expect(c.runs).toBe(2);
  });

  it('a failed validation throws every time and keeps nothing; ROLLOUT_CONFIG_CACHE=off keeps nothing either', async () => {
    const r = root();
    let runs = 0;
    const bad = (): never => {
      runs++;
      throw new Error('migrations/x.json: forward: expected array');
    };
    await expect(cachedValidation(r, 'migration', bytes, bad)).rejects.toThrow('expected array');
    await expect(cachedValidation(r, 'migration', bytes, bad)).rejects.toThrow('expected array');
    expect(runs).toBe(2);
    expect(existsSync(join(r, '.rollout', 'cache'))).toBe(false);
    process.env.ROLLOUT_CONFIG_CACHE = 'off';
    const c = counter();
    await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    expect(c.runs).toBe(2);
    expect(existsSync(join(r, '.rollout', 'cache'))).toBe(false);
  });

  it('a value that would not read back the same (an undefined property) is not kept', async () => {
    const r = root();
    let runs = 0;
    const v = (): unknown => {
      runs++;
      return { id: 'x', description: undefined };
    };
    await cachedValidation(r, 'release', bytes, v);
    expect(await cachedValidation(r, 'release', bytes, v)).toEqual({ id: 'x', description: undefined });
    expect(runs).toBe(2);
  });

  it('processes validating the same bytes at once all get the value, and leave one whole entry and no temp file', async () => {
    const r = root();
    const text = bytes.toString();
    await cachedValidation(r, 'x-key-maker', Buffer.from('{}'), () => ({})); // the per-user key exists before the race
    const outs = await Promise.all(Array.from({ length: 6 }, () => finished(spawnTs('test/fixtures/validated-cache-writer.ts', [r, text]))));
    for (const o of outs) {
      expect(o.code, o.stderr).toBe(0);
      expect((JSON.parse(o.stdout) as { v: unknown }).v).toEqual(JSON.parse(text));
    }
    expect(readdirSync(join(r, '.rollout', 'cache')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    let runs = 0;
    await cachedValidation(r, 'migration', bytes, () => {
      runs++;
      return {};
    });
    expect(runs).toBe(0); // the entry the racers left is whole and trusted
    // Six tsx start-ups at once: 11 s here under load 6.5.
  }, 120_000);
  it('a key another user could read or replace is not used: a signed entry is validated again, and trusted once the key is private again', async () => {
    const r = root();
    const c = counter();
    await cachedValidation(r, 'migration', bytes, c.validate(bytes));
    const key = join(state, 'config-cache.key');
    const served = async (): Promise<boolean> => {
      const before = c.runs;
      expect(await cachedValidation(r, 'migration', bytes, c.validate(bytes))).toMatchObject({ id: '001-a' });
      return c.runs === before;
    };
    expect(await served()).toBe(true);
    // Readable or writable by the group or by others: whoever can read it can sign an entry.
    for (const mode of [0o644, 0o640, 0o604, 0o666, 0o620]) {
      chmodSync(key, mode);
      expect(await served(), `key mode ${mode.toString(8)}`).toBe(false);
    }
    chmodSync(key, 0o600);
    expect(await served()).toBe(true);
    // A state folder others may write to (they could swap the key in).
    chmodSync(state, 0o777);
    expect(await served(), 'state folder 0777').toBe(false);
    chmodSync(state, 0o700);
    expect(await served()).toBe(true);
    // The key file replaced by a link to a file with the same bytes.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'rollout-vcache-link-')), 'k');
    made.push(dirname(elsewhere));
    renameSync(key, elsewhere);
    symlinkSync(elsewhere, key);
    expect(await served(), 'key is a link').toBe(false);
    rmSync(key);
    renameSync(elsewhere, key);
    expect(await served()).toBe(true);
    // Owned by another user (checked where this test may chown: as root).
    if (process.getuid?.() === 0) {
      chownSync(key, 65534, 65534);
      expect(await served(), 'key owned by nobody').toBe(false);
      chownSync(key, 0, 0);
      expect(await served()).toBe(true);
    }
  });
});
