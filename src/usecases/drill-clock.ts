// The training drill's clock. Virtual time moves only from one timer to the next, and only once
// the drill has nothing left to do before it (every promise chain the last timer started has
// settled, and no held work is pending). Wall time only paces it: the next timer fires no sooner
// than its virtual distance divided by the speed. A slow or stalled machine therefore makes a
// drill take longer, but every poll, health check and timeout sees the same virtual times in the
// same order as on an idle machine: the outcome cannot change. (A wall-clock-scaled clock turned
// a 300 ms stall at x3000 into 15 virtual minutes, and a 60 s verify timeout into 20 ms.)
import { systemClock, type Clock, type VirtualTimer } from '../domain/clock.js';

/** Wall-clock lateness (ms) beyond which pacing restarts from now. */
const LATE_MS = 100;

/** A clock `speed` times faster than `base` that advances by events, never by elapsed wall time. */
export class DrillClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, VirtualTimer>();
  private readonly held = new Set<Promise<unknown>>();
  /** Pacing: the wall time at which virtual time `virtual` was (or is) reached. */
  private anchor: { real: number; virtual: number };
  private pumping = false;
  /** Wakes a pacing wait early when the timers change (a new, earlier timer). */
  private poke: AbortController | undefined;

  constructor(
    private readonly speed: number,
    private readonly base: Clock = systemClock,
  ) {
    this.t = base.now();
    this.anchor = { real: base.now(), virtual: this.t };
  }

  /** The drill's virtual time: constant between two timers, however long the work between them takes. */
  now(): number {
    return this.t;
  }

  /** Run `fn` when virtual time reaches now + ms. */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    this.changed();
    return id;
  }

  /** Cancel a timer. */
  clearTimeout(handle: unknown): void {
    if (this.timers.delete(handle as number)) this.changed();
  }

  /** Resolve after ms of virtual time, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        this.clearTimeout(id);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const id = this.setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Virtual time does not pass while `p` is pending (real I/O the drill waits on). */
  hold<T>(p: Promise<T>): Promise<T> {
    this.held.add(p);
    const release = (): void => {
      this.held.delete(p);
      this.changed();
    };
    p.then(release, release);
    return p;
  }

  private changed(): void {
    this.poke?.abort();
    if (!this.pumping && this.timers.size) {
      this.pumping = true;
      void this.pump().finally(() => {
        this.pumping = false;
        if (this.timers.size) this.changed();
      });
    }
  }

  /** Fire timers in virtual order, each once the drill is idle and its paced wall time has come. */
  private async pump(): Promise<void> {
    for (;;) {
      // Let every promise chain started by the last timer (or by the caller) run to its end: the
      // microtask queue is drained before any immediate runs.
      await new Promise<void>((r) => setImmediate(r));
      if (this.held.size) {
        await Promise.allSettled([...this.held]);
        continue;
      }
      const next = this.earliest();
      if (!next) return;
      const dueReal = this.anchor.real + (next.at - this.anchor.virtual) / this.speed;
      const wait = dueReal - this.base.now();
      if (wait > 0) {
        this.poke = new AbortController();
        await this.base.sleep(wait, this.poke.signal);
        this.poke = undefined;
        continue; // re-check: a timer may have been added or cleared meanwhile
      }
      this.timers.delete(next.seq);
      this.t = Math.max(this.t, next.at);
      // Late by more than a timer's usual slack (a stalled machine): pace the rest from now rather
      // than rushing to catch up. Small lateness keeps the anchor, so it does not add up.
      if (-wait > LATE_MS) this.anchor = { real: this.base.now(), virtual: this.t };
      next.fn();
    }
  }

  private earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const x of this.timers.values()) if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    return best;
  }
}
