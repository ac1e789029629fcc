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

/** `mm:ss` (or `h:mm:ss`) for elapsed times on screen. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** `mm:ss` in whole minutes (`75:00`, never `1:15:00`): the monitor's one elapsed format, `T+01:30 of 60:00`. */
export function formatMinutes(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}
