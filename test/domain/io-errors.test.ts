// The one sentence for each file-system failure: the path, what went wrong, what to do; and
// anything that is not such a failure passes through untouched.
import { describe, expect, it } from 'vitest';
import { ExitCode, StepFailedError } from '../../src/domain/errors.js';
import { ioFailure, withIoOutcome } from '../../src/domain/io-errors.js';

function errno(code: string, path = '/srv/ws/backups/x.tmp'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '${path}'`), { code, path, syscall: 'open' });
}

describe('ioFailure', () => {
  const cases: [string, RegExp][] = [
    ['EROFS', /is on a read-only file system; remount it read-write/],
    ['EACCES', /permission denied on .*; give the user running rollout access to it/],
    ['EPERM', /is not permitted; give the user running rollout access/],
    ['ENOSPC', /no space left on the device holding .*; free some \(rollout prune/],
    ['EDQUOT', /disk quota/],
    ['EMFILE', /too many open files while opening .*; raise the limit \(ulimit -n\)/],
    ['ENFILE', /ran out of file handles/],
    ['ENOENT', /disappeared while in use, removed by something else/],
    ['EIO', /reported an I\/O error/],
  ];
  for (const [code, re] of cases) {
    it(`${code}: one sentence naming the path and what to do, exit 1`, () => {
      const f = ioFailure(errno(code), 'write the backup');
      expect(f).toBeInstanceOf(StepFailedError);
      expect(f!.exitCode).toBe(ExitCode.failed);
      expect(f!.message).toMatch(/^Could not write the backup: /);
      expect(f!.message).toContain('/srv/ws/backups/x.tmp');
      expect(f!.message).toMatch(re);
      expect(f!.message).toMatch(/\.$/);
      expect(f!.message.split('\n')).toHaveLength(1);
    });
  }

  it('names the given path rather than a temp file, and leaves other errors alone', () => {
    expect(ioFailure(errno('EROFS'), 'write a backup', '/srv/ws/backups')!.message).toContain('/srv/ws/backups is on a read-only');
    expect(ioFailure(new Error('boom'), 'x')).toBeUndefined();
    expect(ioFailure(errno('ECONNREFUSED'), 'x')).toBeUndefined();
    expect(() => withIoOutcome('write it', undefined, () => {
      throw errno('ENOSPC');
    })).toThrow(StepFailedError);
    expect(() => withIoOutcome('write it', undefined, () => {
      throw new TypeError('bug');
    })).toThrow(TypeError);
  });
});
