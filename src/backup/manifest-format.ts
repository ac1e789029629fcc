// The manifest's name and format tag, apart from manifest.ts and its zod schema (manifest-schema.ts)
// so that both use them without importing each other.
export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_FORMAT = 'guarded-rollout-backup/1';
