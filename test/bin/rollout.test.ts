// Given the `rollout` bin on a Node older than the APIs the bundle calls (zlib.crc32: 20.15,
// crypto.hash: 20.12), when it starts, then it refuses in one sentence (exit 2) before running
// anything, and package.json "engines" declares the same minimum.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/rollout.js');

/** Runs the bin with process.versions.node made to read `version` (a preload, before the bin's own code). */
function runAs(version: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-node-'));
  try {
    const pre = join(dir, 'pretend.cjs');
    writeFileSync(pre, `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n`);
    const r = spawnSync(process.execPath, ['--require', pre, bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the Node version rollout runs on', () => {
  it('package.json engines allows no Node without zlib.crc32 (20.15) and crypto.hash (20.12)', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { engines: { node: string } };
    // One lower bound, as npm writes it: ">=MAJOR[.MINOR[.PATCH]]".
    const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(pkg.engines.node.trim());
    expect(m, `engines.node "${pkg.engines.node}"`).not.toBeNull();
    const [major, minor] = [Number(m![1]), Number(m![2] ?? 0)];
    expect(major > 20 || (major === 20 && minor >= 15), `engines.node "${pkg.engines.node}" allows an older Node`).toBe(true);
  });

  it('refuses an older Node in one sentence with exit 2, and runs on 20.15', () => {
    for (const old of ['20.14.0', '20.0.0', '18.20.4']) {
      const r = runAs(old, ['--version']);
      expect(r.status, old).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`rollout: needs Node.js 20.15 or newer, but this is Node.js ${old}; install a newer Node.\n`);
    }
    const ok = runAs('20.15.0', ['--version']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/\d+\.\d+\.\d+/);
  });
});
