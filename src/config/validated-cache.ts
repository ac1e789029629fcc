// Validated files kept between commands: a release's release.json and the migration files are
// checked with zod on every deploy (0.2 MB of library to compile and set up in each process),
// although they change only with a new release. Safe in the same ways as the config cache
// (./cached-context.ts), whose per-user key and build id it shares:
//  - an entry holds the SHA-256 of the exact bytes validated: any changed byte misses;
//  - it is keyed to the build (a new version of the tool validates again) and to the kind of file;
//  - its body carries an HMAC with the per-user key: an edited, swapped or truncated entry is not
//    trusted, and the file is validated;
//  - only a value that survives a JSON round trip unchanged is kept; a failed validation never is;
//  - it is an optimisation only: no key, an unwritable .rollout, or ROLLOUT_CONFIG_CACHE=off just
//    means validating as before.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { configBuildId, signedBody, writeSigned } from './cached-context.js';

const FORMAT = 1;

interface Entry {
  format: number;
  build: string;
  kind: string;
  sha256: string;
  value: unknown;
}

/** The entry file for these bytes of this kind of file, in the workspace's .rollout/cache. */
export function validatedCacheFile(root: string, kind: string, sha256: string): string {
  return join(root, '.rollout', 'cache', `valid-${kind}-${sha256.slice(0, 32)}.json`);
}

function readEntry(file: string, kind: string, sha256: string): { value: unknown } | undefined {
  try {
    const body = signedBody(readFileSync(file, 'utf8'));
    if (body === undefined) return undefined;
    const e = JSON.parse(body) as Entry;
    if (e.format !== FORMAT || e.build !== configBuildId() || e.kind !== kind || e.sha256 !== sha256 || !('value' in e)) return undefined;
    return { value: e.value };
  } catch {
    return undefined; // missing, unreadable or not JSON: validate as if there were no cache
  }
}

function writeEntry(file: string, kind: string, sha256: string, value: unknown): void {
  try {
    const body = JSON.stringify({ format: FORMAT, build: configBuildId(), kind, sha256, value } satisfies Entry);
    // Only what reads back identical: an undefined property or a Date would not.
    if (!isDeepStrictEqual((JSON.parse(body) as Entry).value, value)) return;
    // A reader sees no entry or a whole one; two writers of the same bytes write the same entry.
    writeSigned(file, body);
  } catch {
    /* read-only workspace, full disk: the next command validates again */
  }
}

/**
 * What `validate` makes of a file's `bytes`: from the workspace's cache when this build validated
 * these exact bytes before, else from `validate` (which may load its validator), then kept. A
 * validation that throws passes its error through and keeps nothing.
 */
export async function cachedValidation<T>(root: string, kind: string, bytes: Buffer, validate: () => T | Promise<T>): Promise<T> {
  if (process.env.ROLLOUT_CONFIG_CACHE === 'off') return validate();
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = validatedCacheFile(root, kind, sha256);
  const hit = readEntry(file, kind, sha256);
  if (hit) return hit.value as T;
  const value = await validate();
  writeEntry(file, kind, sha256, value);
  return value;
}
