// Folding identical notifications: once a channel delivered a notification, the same one again
// within the window is folded (not re-sent) on that channel. The state lives in
// notifications/.dedupe.json so that separate CLI processes fold too; it holds only hashes and
// times, never content. A channel that failed is not recorded, so the next identical send retries it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import type { Severity } from '../config/gates-schema.js';
import type { Notification } from './types.js';

interface Entry {
  /** Channel name -> last delivery (ms since the epoch). */
  delivered: Record<string, number>;
}

interface State {
  version: 1;
  entries: Record<string, Entry>;
}

/**
 * What makes two notifications identical: type, environment, severity, message, version, gate
 * name, incident. The gate's value is left out on purpose: a breach re-reported with the next
 * reading is the same alert.
 */
export function dedupeKey(n: Notification, severity: Severity): string {
  const parts = [n.type, n.env, severity, n.message, n.version ?? '', n.gate?.name ?? '', n.incidentId ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** The fold state in one file, re-read before every decision and merged on every write. */
export class DedupeStore {
  constructor(
    private readonly path: string,
    private readonly windowMs: number,
  ) {}

  private read(): State {
    try {
      if (!existsSync(this.path)) return { version: 1, entries: {} };
      const s = JSON.parse(readFileSync(this.path, 'utf8')) as State;
      return s && typeof s.entries === 'object' && s.entries ? s : { version: 1, entries: {} };
    } catch {
      // A damaged state file only costs a duplicate message; start afresh.
      return { version: 1, entries: {} };
    }
  }

  private update(now: number, fn: (s: State) => void): void {
    const s = this.read();
    fn(s);
    // Forget what can no longer fold anything.
    for (const [k, e] of Object.entries(s.entries)) {
      for (const [ch, t] of Object.entries(e.delivered)) if (now - t > this.windowMs || t > now + 60_000) delete e.delivered[ch];
      if (Object.keys(e.delivered).length === 0) delete s.entries[k];
    }
    writeJsonAtomic(this.path, s);
  }

  /** When `channel` last delivered `key` within the window, or undefined. */
  deliveredWithin(key: string, channel: string, now: number): number | undefined {
    if (this.windowMs <= 0) return undefined;
    const t = this.read().entries[key]?.delivered[channel];
    return t !== undefined && now - t < this.windowMs && t <= now ? t : undefined;
  }

  /** Record that `channels` delivered `key` now. */
  recordDelivered(key: string, channels: string[], now: number): void {
    if (this.windowMs <= 0 || channels.length === 0) return;
    this.update(now, (s) => {
      const e = (s.entries[key] ??= { delivered: {} });
      for (const ch of channels) e.delivered[ch] = now;
    });
  }
}
