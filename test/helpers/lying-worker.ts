// A copy of the built CLI whose hashing thread lies: the tests that hold verify to the worker file
// the build emits (dist/workers/hash-worker.js) run a copy where it reports a wrong SHA-256.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** A copy of the test run's bundle (ROLLOUT_TEST_DIST) at `dir` whose hash-worker.js reports 64 zeros as every digest; returns `dir`. */
export function lyingDist(dir: string): string {
  const dist = process.env.ROLLOUT_TEST_DIST!;
  expect(existsSync(join(dist, 'workers', 'hash-worker.js'))).toBe(true);
  cpSync(dist, dir, { recursive: true });
  const wf = join(dir, 'workers', 'hash-worker.js');
  const src = readFileSync(wf, 'utf8');
  // (the replaced text must be there: a build that renamed it would leave the worker honest and the test empty)
  expect(src).toContain('h.digest("hex")');
  writeFileSync(wf, src.replace('h.digest("hex")', '"0".repeat(64)'));
  return dir;
}
