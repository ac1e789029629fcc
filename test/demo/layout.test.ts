// The local target's layout: `current` as a relative symlink switched by rename, and the pointer
// file used where symlinks are not allowed.
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentReleaseDir, localLayout, readCurrentVersion, readPid, switchCurrent } from '../../src/demo/layout.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rollout-layout-'));
  for (const v of ['1.0.0', '1.1.0']) mkdirSync(join(root, 'deployments/staging/releases', v), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('local layout', () => {
  it('switches current by renaming a relative symlink over the old one', () => {
    const l = localLayout(root, 'staging');
    expect(readCurrentVersion(l)).toBeUndefined();
    expect(switchCurrent(l, '1.0.0')).toBe('symlink');
    expect(readlinkSync(l.current)).toBe(join('releases', '1.0.0'));
    switchCurrent(l, '1.1.0');
    expect(lstatSync(l.current).isSymbolicLink()).toBe(true);
    expect(readCurrentVersion(l)).toBe('1.1.0');
    expect(currentReleaseDir(l)).toBe(join(root, 'deployments/staging/releases/1.1.0'));
    expect(existsSync(l.currentPointer)).toBe(false);
  });

  it('reads the pointer file when there is no symlink (Windows without symlink rights)', () => {
    const l = localLayout(root, 'staging');
    writeFileSync(l.currentPointer, '{"version":"1.0.0"}\n');
    expect(readCurrentVersion(l)).toBe('1.0.0');
    expect(currentReleaseDir(l)).toBe(join(root, 'deployments/staging/releases/1.0.0'));
    // A symlink, once possible, wins and the pointer file goes.
    switchCurrent(l, '1.1.0');
    expect(readCurrentVersion(l)).toBe('1.1.0');
    expect(existsSync(l.currentPointer)).toBe(false);
  });

  it('ignores a pid file without a pid', () => {
    const l = localLayout(root, 'staging');
    writeFileSync(l.pidFile, 'garbage\n');
    expect(readPid(l)).toBeUndefined();
    writeFileSync(l.pidFile, '4242\n');
    expect(readPid(l)).toBe(4242);
  });
});
