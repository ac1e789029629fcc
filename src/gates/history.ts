// The kept observations: sorted by time, bounded by age and by count, so that a 24-hour run
// keeps a flat memory profile.
import type { Observation } from './types.js';

/** A bounded, time-ordered buffer of observations. */
export class ObservationHistory {
  private items: Observation[] = [];
  constructor(
    private readonly keepMs: number,
    private readonly maxItems = 100_000,
  ) {}

  /** Add an observation (out-of-order ones are inserted in place) and drop what is too old. */
  push(o: Observation): void {
    const last = this.items[this.items.length - 1];
    if (!last || last.t <= o.t) this.items.push(o);
    else {
      let i = this.items.length - 1;
      while (i > 0 && this.items[i - 1]!.t > o.t) i--;
      this.items.splice(i, 0, o);
    }
    this.trim(o.t);
  }

  /** Drop observations older than the kept span or beyond the count cap. */
  trim(now: number): void {
    const cutoff = now - this.keepMs;
    let drop = 0;
    while (drop < this.items.length && this.items[drop]!.t < cutoff) drop++;
    drop = Math.max(drop, this.items.length - this.maxItems);
    // Splicing in chunks keeps the cost amortised rather than per push.
    if (drop > 0 && (drop >= 64 || drop === this.items.length || this.items.length > this.maxItems)) this.items.splice(0, drop);
  }

  /** The kept observations, oldest first (do not mutate). */
  all(): readonly Observation[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }

  /** The newest observation. */
  latest(): Observation | undefined {
    return this.items[this.items.length - 1];
  }
}
