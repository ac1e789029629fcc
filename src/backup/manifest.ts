// The manifest inside every backup (manifest.json, the last entry): what was archived, with size
// and SHA-256 of every file, and who took it when. Verify and restore trust nothing else.
import { posix } from 'node:path';
import { MANIFEST_FORMAT } from './manifest-format.js';
import type { Manifest } from './manifest-schema.js';

export type { Manifest, ManifestEntry, ManifestRoot } from './manifest-schema.js';
export { MANIFEST_FORMAT, MANIFEST_NAME } from './manifest-format.js';

/**
 * Why a path (an entry name, a root, a resolved link) may not be used, or undefined when it is a
 * clean relative path inside the workspace: `/`-separated, no absolute or drive-letter start, no
 * `..`, `.` or empty segments, no backslashes or NUL.
 */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return 'an empty name';
  // One scan without allocating decides for the common clean name (called twice per entry: for
  // the archive's names and the manifest's); anything that might be unsafe gets the checks below,
  // which decide and word it: NUL, backslash, ':' (a drive letter), an empty, "." or ".." segment.
  let seg = 0;
  let clean = true;
  for (let i = 0; i <= p.length && clean; i++) {
    const c = i < p.length ? p.charCodeAt(i) : 0x2f;
    if (c === 0 || c === 0x5c || c === 0x3a) clean = false;
    else if (c === 0x2f) {
      const n = i - seg;
      if (n === 0 || (p.charCodeAt(seg) === 0x2e && (n === 1 || (n === 2 && p.charCodeAt(seg + 1) === 0x2e)))) clean = false;
      seg = i + 1;
    }
  }
  if (clean) return undefined;
  if (p.includes('\0')) return 'a NUL byte in the name';
  if (/^[a-zA-Z]:/.test(p)) return 'a drive letter';
  if (p.startsWith('/') || p.startsWith('\\')) return 'an absolute path';
  if (p.includes('\\')) return 'a backslash';
  const segs = p.split('/');
  if (segs.includes('..')) return 'a ".." segment';
  if (segs.some((s) => s === '.' || s === '')) return 'an empty or "." segment';
  return undefined;
}

/** Where a link at `linkPath` pointing to `target` lands (workspace-relative), or why it is unsafe. */
export function resolveLinkTarget(linkPath: string, target: string): { path: string } | { reason: string } {
  if (target.length === 0) return { reason: 'is empty' };
  if (target.includes('\0')) return { reason: 'contains a NUL byte' };
  if (/^[a-zA-Z]:/.test(target) || target.startsWith('/') || target.startsWith('\\')) return { reason: `points to the absolute path ${target}` };
  if (target.includes('\\')) return { reason: 'contains a backslash' };
  const joined = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (joined === '..' || joined.startsWith('../') || joined === '.') return { reason: `points outside the workspace (${target})` };
  return { path: joined };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
// Per kind: the keys an entry must have, and every key it may have.
const KEYS: Record<string, { need: string[]; all: Set<string> }> = {
  file: { need: ['path', 'kind', 'size', 'sha256'], all: new Set(['path', 'kind', 'size', 'sha256', 'mode']) },
  dir: { need: ['path', 'kind'], all: new Set(['path', 'kind', 'mode']) },
  symlink: { need: ['path', 'kind', 'target'], all: new Set(['path', 'kind', 'target']) },
};
const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);

/** Whether `e` is a valid manifest entry, by the same rules as the zod schema (checked against it by a property test). */
function validEntry(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  const k = typeof o.kind === 'string' && Object.hasOwn(KEYS, o.kind) ? KEYS[o.kind] : undefined;
  if (!k || typeof o.path !== 'string') return false;
  // (a Set and a plain loop: Object.keys, includes and a closure per entry were ~2 us an entry, 10k of them)
  for (const key in o) if (Object.hasOwn(o, key) && !k.all.has(key)) return false;
  for (let i = 0; i < k.need.length; i++) if (!Object.hasOwn(o, k.need[i]!)) return false;
  if (o.kind === 'file' && (!isInt(o.size) || (o.size as number) < 0 || typeof o.sha256 !== 'string' || !SHA256_HEX.test(o.sha256))) return false;
  if (o.kind === 'symlink' && typeof o.target !== 'string') return false;
  return !Object.hasOwn(o, 'mode') || isInt(o.mode);
}

const STRINGS = ['env', 'created_at', 'operator', 'tool_version', 'target_kind'] as const;
const TOP = new Set(['format', 'env', 'version', 'created_at', 'operator', 'tool_version', 'target_kind', 'roots', 'entries', 'totals']);
const ROOT_KINDS = new Set(['file', 'dir', 'symlink', 'absent']);
const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const onlyKeys = (o: Record<string, unknown>, keys: readonly string[]): boolean => Object.keys(o).length === keys.length && keys.every((k) => Object.hasOwn(o, k));

/** Whether `json` is a valid manifest, by the same rules as the zod schema (manifest-schema.ts; checked against it by a property test). */
function validManifest(json: unknown): json is Manifest {
  if (!plain(json)) return false;
  const o = json;
  for (const k of Object.keys(o)) if (!TOP.has(k)) return false;
  if (o.format !== MANIFEST_FORMAT || !(o.version === null || typeof o.version === 'string')) return false;
  if (!STRINGS.every((k) => typeof o[k] === 'string')) return false;
  if (!Array.isArray(o.roots) || !o.roots.every((r) => plain(r) && onlyKeys(r, ['path', 'kind']) && typeof r.path === 'string' && typeof r.kind === 'string' && ROOT_KINDS.has(r.kind))) return false;
  const t = o.totals;
  if (!plain(t) || !onlyKeys(t, ['files', 'dirs', 'symlinks', 'bytes']) || !isInt(t.files) || !isInt(t.dirs) || !isInt(t.symlinks) || !isInt(t.bytes)) return false;
  if (!Array.isArray(o.entries)) return false;
  for (const e of o.entries) if (!validEntry(e)) return false;
  return true;
}

/**
 * A parsed manifest.json, checked; rejects with an Error "JSON.path: what is wrong" otherwise.
 * Checked by hand (zod took 0.1-0.35 s for 10k entries, most of it compiling on first use, and
 * ~30 ms just to load); only a manifest that fails is handed to the zod schema, which decides
 * and words the error.
 */
export async function parseManifest(json: unknown): Promise<Manifest> {
  if (validManifest(json)) return json;
  const { Manifest: schema } = await import('./manifest-schema.js');
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new Error(`${i.path.map(String).join('.') || '(top)'}: ${i.message}`);
}
