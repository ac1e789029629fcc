// The manifest inside every backup (manifest.json, the last entry): what was archived, with size
// and SHA-256 of every file, and who took it when. Verify and restore trust nothing else.
import { posix } from 'node:path';
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_FORMAT = 'guarded-rollout-backup/1';

const FileEntry = z.strictObject({ path: z.string(), kind: z.literal('file'), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/), mode: z.number().int().optional() });
const DirEntry = z.strictObject({ path: z.string(), kind: z.literal('dir'), mode: z.number().int().optional() });
const LinkEntry = z.strictObject({ path: z.string(), kind: z.literal('symlink'), target: z.string() });
const ManifestEntry = z.discriminatedUnion('kind', [FileEntry, DirEntry, LinkEntry]);
export type ManifestEntry = z.infer<typeof ManifestEntry>;

/** A top-level path the backup covers; `absent` means it did not exist (a restore removes it). */
const Root = z.strictObject({ path: z.string(), kind: z.enum(['file', 'dir', 'symlink', 'absent']) });
export type ManifestRoot = z.infer<typeof Root>;

export const Manifest = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  env: z.string(),
  version: z.string().nullable(),
  created_at: z.string(),
  operator: z.string(),
  tool_version: z.string(),
  target_kind: z.string(),
  roots: z.array(Root),
  entries: z.array(ManifestEntry),
  totals: z.strictObject({ files: z.number().int(), dirs: z.number().int(), symlinks: z.number().int(), bytes: z.number().int() }),
});
export type Manifest = z.infer<typeof Manifest>;

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
const KEYS: Record<string, { need: string[]; may: string[] }> = {
  file: { need: ['path', 'kind', 'size', 'sha256'], may: ['mode'] },
  dir: { need: ['path', 'kind'], may: ['mode'] },
  symlink: { need: ['path', 'kind', 'target'], may: [] },
};
const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);

/** Whether `e` is a valid manifest entry, by the same rules as the zod schema (checked against it by a property test). */
function validEntry(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  const k = typeof o.kind === 'string' && Object.hasOwn(KEYS, o.kind) ? KEYS[o.kind] : undefined;
  if (!k || typeof o.path !== 'string') return false;
  for (const key of Object.keys(o)) if (!k.need.includes(key) && !k.may.includes(key)) return false;
  if (k.need.some((key) => !Object.hasOwn(o, key))) return false;
  if (o.kind === 'file' && (!isInt(o.size) || (o.size as number) < 0 || typeof o.sha256 !== 'string' || !SHA256_HEX.test(o.sha256))) return false;
  if (o.kind === 'symlink' && typeof o.target !== 'string') return false;
  return !Object.hasOwn(o, 'mode') || isInt(o.mode);
}

/**
 * A parsed manifest.json, checked; throws an Error "JSON.path: what is wrong" otherwise. The
 * entries (one per file: 10k-200k) are checked by hand, the rest by the zod schema: zod took
 * 0.1-0.35 s for 10k entries (most of it compiling on first use); the first entry that fails the
 * hand check is handed to zod, which decides and words the error.
 */
export function parseManifest(json: unknown): Manifest {
  const fail = (issues: readonly { path: PropertyKey[]; message: string }[]): never => {
    const i = issues[0]!;
    throw new Error(`${i.path.map(String).join('.') || '(top)'}: ${i.message}`);
  };
  const o = json as Record<string, unknown> | null;
  const entries = typeof o === 'object' && o !== null && Array.isArray(o.entries) ? (o.entries as unknown[]) : undefined;
  if (!entries) {
    const r = Manifest.safeParse(json);
    if (r.success) return r.data;
    return fail(r.error.issues);
  }
  for (let k = 0; k < entries.length; k++) {
    if (validEntry(entries[k])) continue;
    // The schema decides (and words the error); the hand check only has to be right about what passes.
    const r = ManifestEntry.safeParse(entries[k]);
    if (!r.success) return fail(r.error.issues.map((i) => ({ ...i, path: ['entries', k, ...i.path] })));
  }
  const rest = Manifest.safeParse({ ...o, entries: [] });
  if (!rest.success) return fail(rest.error.issues);
  return { ...rest.data, entries: entries as ManifestEntry[] };
}
