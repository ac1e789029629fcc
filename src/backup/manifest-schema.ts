// The zod schema of manifest.json: the reference for what a manifest may hold, and the words of
// its errors. Loaded only when a manifest fails the hand check in manifest.ts (zod costs ~30 ms to
// load and compile, on every verify of a good backup otherwise).
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';
import { MANIFEST_FORMAT } from './manifest-format.js';

const FileEntry = z.strictObject({ path: z.string(), kind: z.literal('file'), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/), mode: z.number().int().optional() });
const DirEntry = z.strictObject({ path: z.string(), kind: z.literal('dir'), mode: z.number().int().optional() });
const LinkEntry = z.strictObject({ path: z.string(), kind: z.literal('symlink'), target: z.string() });
export const ManifestEntry = z.discriminatedUnion('kind', [FileEntry, DirEntry, LinkEntry]);
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
