// The one place values are put into words for people: numbers and values with their units, the
// monitor's elapsed time (one format everywhere: `T+mm:ss of 60:00`, whole minutes past the hour,
// never h:mm:ss), byte sizes and ages. The journal's sentences, the headless lines, the
// notifications and the TUI all read these, so the same value never reads two ways.

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A number as people read it: integers whole, fractions rounded (2 places below 10, else 1). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
}

// On screen, units short enough for the gate table's columns.
const SHORT_UNITS: Record<string, string> = { consecutive: 'in row', items: 'items', percent: '%' };

/** How a face writes values: the words for a missing one, the screen's short units, or only measures (ms, %). */
export interface ValueStyle {
  none?: string;
  short?: boolean;
  /** Headless poll lines: only ms and % are written; counts stand bare (their column names them). */
  measuresOnly?: boolean;
}

/** The TUI's gate table and charts: short units that fit the columns. */
export const ON_SCREEN: ValueStyle = { short: true };
/** Headless poll lines: measures only, an en dash for no value. */
export const IN_POLL_LINE: ValueStyle = { none: '–', measuresOnly: true };
/** Sentences (journal, alerts, summaries): "no value" when there is none. */
export const IN_SENTENCE: ValueStyle = { none: 'no value' };

/**
 * A value with its unit: `3948.5 ms`, `0.30%`, `1 item` (never `1 items`). `none` is what a
 * missing value reads as (default an em dash); `short` uses the screen's short units (`3 in row`).
 */
export function formatValue(v: number | null | undefined, unitIn: string, o: ValueStyle = {}): string {
  if (v === null || v === undefined || Number.isNaN(v)) return o.none ?? '—';
  const measure = o.measuresOnly ? (unitIn === 'ms' || unitIn === '%' ? unitIn : '') : unitIn;
  const unit = o.short ? (SHORT_UNITS[measure] ?? measure) : measure === 'percent' ? '%' : measure;
  const n = formatNumber(v);
  if (unit === '%') return `${n}%`;
  if (!unit) return n;
  return `${n} ${n === '1' && unit === 'items' ? 'item' : unit}`;
}

/**
 * `mm:ss` of a duration, in whole minutes past the hour (`75:00`, never `1:15:00`). Whole seconds
 * elapsed, as a stopwatch counts them: every face rounds the same way, so one moment never reads
 * T+00:00 on screen and T+00:01 in the journal's text.
 */
export function formatClock(ms: number): string {
  const s = Math.floor(Math.max(0, ms / 1000));
  return `${pad2(Math.floor(s / 60))}:${pad2(s % 60)}`;
}

/** `T+mm:ss` of a moment after T0: the stamp of an event in a list (the log pane, a debrief). */
export function tPlus(t: number, t0: number): string {
  return `T+${formatClock(t - t0)}`;
}

/** `T+mm:ss of 60:00`: how far into the window, and how long the window is. */
export function windowProgress(elapsedMs: number, totalMs: number): string {
  return `T+${formatClock(elapsedMs)} of ${formatClock(totalMs)}`;
}

/** The monitor's elapsed time at `t`, in its one format: `T+mm:ss of 60:00`. */
export function elapsed(t: number, t0: number, endAt: number): string {
  return windowProgress(t - t0, endAt - t0);
}

/** A size in B, KB, MB or GB (1024-based, one decimal; GB two). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}

/** How long ago: `42 s ago`, `42 min ago`, `3 h ago`, `2 days ago` (now - then). */
export function formatAge(then: number, now: number): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 90) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}
