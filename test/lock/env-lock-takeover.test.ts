// Two processes taking over the same stale lock (its holder was killed with -9): the one that reads
// the dead holder's file first must not clear the lock the other has taken meanwhile. The race is
// forced in one process: node:fs's renameSync, as env-lock.ts sees it, lets "the other process"
// finish a whole takeover between the dead holder's file being read and it being claimed.
import { spawnSync } from 'node:child_process';
import type * as Fs from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const hook: { beforeClaim?: () => void } = {};
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  return {
    ...fs,
    renameSync: (from: Fs.PathLike, to: Fs.PathLike): void => {
      const run = String(from).endsWith('.holder.json') ? hook.beforeClaim : undefined;
      hook.beforeClaim = undefined;
      run?.();
      fs.renameSync(from, to);
    },
  };
});

const fs = await vi.importActual<typeof Fs>('node:fs');
const { acquireEnvLock, readLockHolder } = await import('../../src/lock/env-lock.js');
const { RefusedError } = await import('../../src/domain/errors.js');

const dir = fs.mkdtempSync(join(tmpdir(), 'rollout-takeover-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const holderFile = (who: string, pid: number): string => `${JSON.stringify({ pid, host: hostname(), operator: who, command: 'rollout deploy --env staging', started_at: new Date().toISOString() }, null, 2)}\n`;

describe('taking over a stale lock while another process does the same', () => {
  it('leaves the lock with the process that took it over first, and refuses naming it', async () => {
    // A lock whose holder is dead (its pid has exited), as kill -9 leaves it.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    fs.mkdirSync(join(dir, 'staging.lock'));
    fs.writeFileSync(join(dir, 'staging.holder.json'), holderFile('carol', deadPid));

    // Between our read of carol's file and our claim of it, alice's process (alive: this one's pid)
    // takes the stale lock over the same way: claims carol's file, clears the lock, locks, writes hers.
    hook.beforeClaim = () => {
      fs.renameSync(join(dir, 'staging.holder.json'), join(dir, 'staging.holder.json.alice.stale'));
      fs.rmSync(join(dir, 'staging.lock'), { recursive: true, force: true });
      fs.rmSync(join(dir, 'staging.holder.json.alice.stale'));
      fs.mkdirSync(join(dir, 'staging.lock'));
      fs.writeFileSync(join(dir, 'staging.holder.json'), holderFile('alice', process.pid));
    };
    const bob = await acquireEnvLock(dir, 'staging', { operator: 'bob', command: 'rollout rollback --env staging' }).then(
      (l) => l,
      (e: unknown) => e,
    );
    expect(hook.beforeClaim).toBeUndefined();
    expect(bob).toBeInstanceOf(RefusedError);
    expect((bob as Error).message).toMatch(/^The staging environment is locked by alice \(pid \d+ on /);
    // alice still holds it: her lock and her holder file are where she left them.
    expect(fs.existsSync(join(dir, 'staging.lock'))).toBe(true);
    expect(readLockHolder(dir, 'staging')).toMatchObject({ operator: 'alice', pid: process.pid });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.stale'))).toEqual([]);
  });
});
