// Limits that stop a hostile archive (a zip bomb) before it is inflated. Checked against the
// sizes the central directory declares; the reader then holds every entry to them exactly. The
// entry limit scales with the machine, and a restore is held to the room on its filesystem.
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { EngineContext } from '../config/engine-context.js';

/** What a backup may contain. */
export interface ArchiveLimits {
  /** Most entries in one archive (default: entryLimitFor, from this machine's memory). */
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

/**
 * Memory one central-directory entry costs while an archive is checked (measured with 50k and
 * 200k entries: about 3 KiB, parsed entry, manifest entry and their indexes; bench/RESULTS.md).
 */
export const ENTRY_COST_BYTES = 3 * 1024;
/** Never fewer entries than this: 2.5x the largest deploy tree measured (200k files), so a real backup is not refused. */
export const MIN_ENTRY_LIMIT = 500_000;

/**
 * Most entries an archive may hold on this machine: what a quarter of its memory (at most 8 GiB)
 * can check, and at least MIN_ENTRY_LIMIT. An entry count is dangerous for the memory it takes to
 * check and the inodes it takes to restore (the restore also holds it to the free inodes of the
 * destination, see checkRoomFor); it is not a sign of a bomb in itself.
 */
export function entryLimitFor(memoryBytes: number = totalmem()): number {
  return Math.max(MIN_ENTRY_LIMIT, Math.floor(Math.min(memoryBytes / 4, 8 * GiB) / ENTRY_COST_BYTES));
}

/** Defaults: generous for a deploy tree, tight enough that a bomb is refused before it inflates. */
export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: entryLimitFor(),
  maxTotalBytes: 64 * GiB,
  maxEntryBytes: 16 * GiB,
  maxRatio: 1000,
  maxManifestBytes: 128 * 1024 ** 2,
};

/**
 * Why `entries` entries inflating to `bytes` bytes cannot be restored under `dir` (its filesystem's
 * free inodes and space, with a margin), or undefined when they fit or the filesystem does not say.
 */
export function roomProblem(dir: string, entries: number, bytes: number): string | undefined {
  let fs;
  try {
    fs = statfsSync(dir);
  } catch {
    return undefined;
  }
  const freeBytes = fs.bavail * fs.bsize;
  // Some filesystems report no inode count at all (files = 0): then only space is checked.
  if (fs.files > 0 && entries > fs.ffree) return `${entries} entries, more than the ${fs.ffree} free inodes`;
  if (bytes > freeBytes) return `${bytes} bytes once inflated, more than the ${freeBytes} bytes free`;
  return undefined;
}

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
