// Folding identical notifications: once a channel delivered a notification, the same one again
// within the window is folded (not re-sent) on that channel. The state lives in
// notifications/.dedupe.json so that separate CLI processes fold too; it holds only hashes and
// times, never content. A channel that failed is not recorded, so the next identical send retries it.
// Across processes the decision is atomic: a sender first reserves (key, channel) with a lock
// (proper-lockfile: an atomic mkdir, kept fresh while the sender lives), then checks, sends and
// records, then releases; an identical sender waits for the reservation and then finds it
// delivered. A crashed sender's reservation goes stale and is taken over.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import { mkdirReal } from '../domain/io-errors.js';
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

/** A reservation not refreshed for this long belongs to a sender that died (proper-lockfile's minimum is 5 s). */
export const RESERVATION_STALE_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The fold state in one file, re-read before every decision and merged on every write. */
export class DedupeStore {
  constructor(
    private readonly path: string,
    private readonly windowMs: number,
  ) {}

  /** True when folding is on (a window above 0). */
  get enabled(): boolean {
    return this.windowMs > 0;
  }

  private async lock(name: string, waitMs: number): Promise<() => Promise<void>> {
    const dir = join(dirname(this.path), '.dedupe-locks');
    mkdirReal(dir);
    // One path per reservation: proper-lockfile keys its in-process registry by this path.
    const target = join(dir, name);
    const until = Date.now() + waitMs;
    for (let delay = 25; ; delay = Math.min(250, delay * 2)) {
      try {
        return await lockfile.lock(target, {
          realpath: false,
          stale: RESERVATION_STALE_MS,
          update: RESERVATION_STALE_MS / 4,
          retries: 0,
          onCompromised: () => {
            /* taken over as stale by another process: at worst one duplicate message */
          },
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() >= until) throw e;
        await sleep(delay);
      }
    }
  }

  /**
   * Reserve sending `key` on `channel`: resolves once no other process is sending it (waiting at
   * most `waitMs`, then throwing ELOCKED). Check deliveredWithin, send and record while holding it.
   */
  reserve(key: string, channel: string, waitMs: number): Promise<() => Promise<void>> {
    return this.lock(`${key}-${channel.replace(/[^a-z0-9-]/gi, '_')}`, waitMs);
  }

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

  private async update(now: number, fn: (s: State) => void): Promise<void> {
    // Read-modify-write under the store's own short lock, so that two processes recording
    // different notifications never lose each other's entry.
    const release = await this.lock('store', 5_000);
    try {
      const s = this.read();
      fn(s);
      // Forget what can no longer fold anything.
      for (const [k, e] of Object.entries(s.entries)) {
        for (const [ch, t] of Object.entries(e.delivered)) if (now - t > this.windowMs || t > now + 60_000) delete e.delivered[ch];
        if (Object.keys(e.delivered).length === 0) delete s.entries[k];
      }
      writeJsonAtomic(this.path, s);
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** When `channel` last delivered `key` within the window, or undefined. */
  deliveredWithin(key: string, channel: string, now: number): number | undefined {
    if (this.windowMs <= 0) return undefined;
    const t = this.read().entries[key]?.delivered[channel];
    // A record a little ahead of `now` is another sender's that started after this one did.
    return t !== undefined && now - t < this.windowMs && t <= now + 60_000 ? t : undefined;
  }

  /** Record that `channels` delivered `key` now. */
  async recordDelivered(key: string, channels: string[], now: number): Promise<void> {
    if (this.windowMs <= 0 || channels.length === 0) return;
    await this.update(now, (s) => {
      const e = (s.entries[key] ??= { delivered: {} });
      for (const ch of channels) e.delivered[ch] = now;
    });
  }
}
