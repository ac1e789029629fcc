// Given two real processes contending for one environment's lock, then one holds it, the other
// is refused (exit 3) with the holder named, and a holder killed with -9 does not block forever.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireEnvLock, readLockHolder } from '../../src/lock/env-lock.js';
import { RefusedError } from '../../src/domain/errors.js';
import { finished, spawnTs, waitForOutput } from '../helpers/tsx.js';

const dir = mkdtempSync(join(tmpdir(), 'rollout-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('per-environment lock', () => {
  it('refuses a second process while the first holds it, naming pid, host, operator and command', async () => {
    // The holder holds longer than the test may take (tsx start-ups one after another, slow on a
    // loaded machine), and is ended here whatever happens.
    const holder = spawnTs('test/fixtures/hold-lock.ts', [dir, 'staging', '120000', 'alice']);
    const done = finished(holder);
    try {
      await waitForOutput(holder, 'LOCKED');
      const contender = await finished(spawnTs('test/fixtures/hold-lock.ts', [dir, 'staging', '0', 'bob']));
      expect(contender.code).toBe(3);
      expect(contender.stdout).toMatch(new RegExp(`REFUSED The staging environment is locked by alice \\(pid ${holder.pid} on .+, "rollout deploy --env staging", since \\d{4}-`));
      // Another environment is independent.
      const other = await finished(spawnTs('test/fixtures/hold-lock.ts', [dir, 'production', '0', 'bob']));
      expect(other.stdout).toContain('LOCKED');
    } finally {
      holder.kill('SIGTERM');
      await done;
    }
  }, 90_000);

  it('takes over at once a lock whose process was killed with -9', async () => {
    const holder = spawnTs('test/fixtures/hold-lock.ts', [dir, 'development', '60000', 'carol']);
    const done = finished(holder);
    await waitForOutput(holder, 'LOCKED');
    holder.kill('SIGKILL');
    await done;
    expect(readLockHolder(dir, 'development')?.operator).toBe('carol');
    const next = await finished(spawnTs('test/fixtures/hold-lock.ts', [dir, 'development', '0', 'dave']));
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('LOCKED');
    expect(readLockHolder(dir, 'development')).toBeUndefined();
  }, 90_000);

  it('in one process: a second acquire is refused until the first is released', async () => {
    const a = await acquireEnvLock(dir, 'qa', { operator: 'eve', command: 'rollout rollback' });
    await expect(acquireEnvLock(dir, 'qa', { operator: 'frank', command: 'rollout deploy' })).rejects.toBeInstanceOf(RefusedError);
    await a.release();
    const b = await acquireEnvLock(dir, 'qa', { operator: 'frank', command: 'rollout deploy' });
    expect(readLockHolder(dir, 'qa')?.operator).toBe('frank');
    await b.release();
  });
});
