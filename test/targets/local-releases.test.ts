// Given a releases folder with real, broken and odd entries, when deploy's validate asks the local
// target whether a version is there (hasRelease, which skips listing and sorting), then it answers
// exactly as "availableVersions() includes it" does, for every name, paths and __proto__ included.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalTarget, type LocalTargetSpec } from '../../src/targets/local.js';

const root = mkdtempSync(join(tmpdir(), 'rollout-local-releases-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rel = join(root, 'my-releases');
for (const v of ['1.0.0', '1.10.0', '1.9.0', '1.2.0-slow', '__proto__']) {
  mkdirSync(join(rel, v), { recursive: true });
  writeFileSync(join(rel, v, 'release.json'), '{}');
}
mkdirSync(join(rel, 'no-release-file'), { recursive: true });
writeFileSync(join(rel, 'a-file'), 'x');
// A release outside the folder that a path could reach.
mkdirSync(join(root, 'outside'), { recursive: true });
writeFileSync(join(root, 'outside', 'release.json'), '{}');

const spec = { kind: 'local', port: 7412, releases: 'my-releases' } as LocalTargetSpec;
const target = new LocalTarget(root, 'staging', spec, { url: 'http://127.0.0.1:7412/health', timeoutMs: 100 } as never);

describe('LocalTarget.hasRelease', () => {
  it('answers as the sorted list does, for real, missing and odd names', async () => {
    const listed = await target.availableVersions();
    expect(listed).toEqual(['__proto__', '1.0.0', '1.2.0-slow', '1.9.0', '1.10.0']);
    const names = [...listed, 'no-release-file', 'a-file', '1.1.0', '', '.', '..', '../outside', 'my-releases/../outside', '1.0.0/', './1.0.0', '1.0.0/release.json', 'constructor', 'toString'];
    for (const n of names) expect(target.hasRelease(n), JSON.stringify(n)).toBe(listed.includes(n));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...names), fc.string()), async (n) => {
        expect(target.hasRelease(n)).toBe((await target.availableVersions()).includes(n));
      }),
      { numRuns: 200 },
    );
  });
});
