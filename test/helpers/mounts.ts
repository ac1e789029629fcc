// Real file-system faults for tests: a read-only or a tiny (soon full) tmpfs mounted over a
// workspace folder. Tests run as root here, where chmod 0555 does not stop writes, so a mount is
// the honest way to get EROFS and ENOSPC. Where mounting is not allowed, callers skip with a reason.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let allowed: boolean | undefined;

/** True when this process may mount a tmpfs (root, or a user namespace that allows it). */
export function canMount(): boolean {
  if (allowed !== undefined) return allowed;
  const d = mkdtempSync(join(tmpdir(), 'rollout-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', d], { stdio: 'ignore' });
    execFileSync('umount', [d], { stdio: 'ignore' });
    allowed = true;
  } catch {
    allowed = false;
  } finally {
    rmdirSync(d);
  }
  return allowed;
}

/** Why mount tests are skipped on this machine (for the skip message). */
export const MOUNT_SKIP = 'skipped: this machine does not allow tmpfs mounts (run as root, or where mount -t tmpfs is permitted)';

/** Mount a tmpfs over `dir` (created if missing): read-only, or read-write of `sizeKb`. Returns the unmount. */
export function mountTmpfs(dir: string, opts: { readOnly?: boolean; sizeKb?: number }): () => void {
  mkdirSync(dir, { recursive: true });
  const o = [`size=${opts.sizeKb ?? 1024}k`, ...(opts.readOnly ? ['ro'] : [])].join(',');
  execFileSync('mount', ['-t', 'tmpfs', '-o', o, 'tmpfs', dir], { stdio: 'ignore' });
  let done = false;
  return () => {
    if (done) return;
    done = true;
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  };
}
