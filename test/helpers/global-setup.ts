// Builds the CLI once per test run into a private folder, so that tests spawn the real bundled
// program and parallel runs never share (or rebuild under each other) one dist/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | undefined;

export async function setup(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'rollout-test-dist-'));
  // @ts-expect-error: a plain .mjs build script without types
  const { bundle } = (await import('../../scripts/build.mjs')) as { bundle: (out: string) => Promise<void> };
  await bundle(dir);
  process.env.ROLLOUT_TEST_DIST = dir;
  // The private build lives outside the package: tell it where the shipped releases and migrations are.
  process.env.ROLLOUT_PACKAGE_ROOT ??= join(import.meta.dirname, '..', '..');
}

export async function teardown(): Promise<void> {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
