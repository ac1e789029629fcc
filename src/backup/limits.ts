// Limits that stop a hostile archive (a zip bomb) before it is inflated. Checked against the
// sizes the central directory declares; yauzl's validateEntrySizes then holds every entry to them.
import type { EngineContext } from '../config/engine-context.js';

/** What a backup may contain. */
export interface ArchiveLimits {
  /** Most entries in one archive. */
  maxEntries: number;
  /** Most bytes once every entry is inflated. */
  maxTotalBytes: number;
  /** Most bytes of one entry once inflated. */
  maxEntryBytes: number;
  /** Highest inflated/compressed ratio of an entry (and of the whole archive) that inflates past 64 MiB. */
  maxRatio: number;
  /** Largest manifest.json (read into memory to parse). */
  maxManifestBytes: number;
}

const GiB = 1024 ** 3;

/** Defaults: generous for a deploy tree, tight enough that a bomb is refused before it inflates. */
export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: 200_000,
  maxTotalBytes: 64 * GiB,
  maxEntryBytes: 16 * GiB,
  maxRatio: 1000,
  maxManifestBytes: 128 * 1024 ** 2,
};

/** The limits for an environment: the defaults, overridden by the runbook's backup.limits. */
export function limitsFor(ctx: Pick<EngineContext, 'target'> | undefined): ArchiveLimits {
  const l = ctx?.target.backup?.limits;
  if (!l) return DEFAULT_LIMITS;
  return {
    maxEntries: l.max_entries ?? DEFAULT_LIMITS.maxEntries,
    maxTotalBytes: l.max_total_mb !== undefined ? l.max_total_mb * 1024 ** 2 : DEFAULT_LIMITS.maxTotalBytes,
    maxEntryBytes: l.max_entry_mb !== undefined ? l.max_entry_mb * 1024 ** 2 : DEFAULT_LIMITS.maxEntryBytes,
    maxRatio: l.max_ratio ?? DEFAULT_LIMITS.maxRatio,
    maxManifestBytes: DEFAULT_LIMITS.maxManifestBytes,
  };
}
