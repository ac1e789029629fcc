// Shipped folders (releases/, migrations/dhash/) are looked up in the workspace first, then in the
// installed package, so that a fresh workspace works without copying them.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { packageRoot } from './workspace.js';

/** The folder `rel` (workspace-relative, or absolute), in the workspace or else in the package. */
export function shippedDir(root: string, rel: string): string | undefined {
  if (isAbsolute(rel)) return existsSync(rel) ? rel : undefined;
  const inWs = join(root, rel);
  if (existsSync(inWs)) return inWs;
  try {
    const inPkg = join(packageRoot(), rel);
    if (existsSync(inPkg)) return inPkg;
  } catch {
    /* not run from a package: only the workspace counts */
  }
  return undefined;
}
