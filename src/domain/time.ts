// UTC timestamps in the shapes SPEC.md fixes for file names.

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYYMMDD_HHMMSS` in UTC, for backups and logs (sorts newest-last by name). */
export function fileStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** `YYYYMMDD-HHMMSS` in UTC, for incident ids. */
export function incidentStamp(ms: number): string {
  return fileStamp(ms).replace('_', '-');
}

/**
 * A monotonic clock in milliseconds for measuring how long something took. process.hrtime, not
 * performance.now(): the global `performance` loads perf_hooks and its modules on first use (a
 * dozen of Node's own modules compiled for every `service status`, deploy and rollback).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
