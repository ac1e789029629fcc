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
