// The drill clock moves by events: virtual time jumps from timer to timer once the drill is idle,
// paced (never driven) by the base clock; wall time spent working never shows on it.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/domain/clock.js';
import { DrillClock } from '../../src/usecases/drill-clock.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('DrillClock', () => {
  it('fires timers in virtual order, each paced by the base clock at 1/speed, and reads the timer time meanwhile', async () => {
    const base = new FakeClock(1_000);
    const c = new DrillClock(100, base);
    const t0 = c.now();
    const fired: [string, number][] = [];
    c.setTimeout(() => fired.push(['b', c.now() - t0]), 2_000);
    c.setTimeout(() => fired.push(['a', c.now() - t0]), 1_000);
    await base.advance(9); // 1000 virtual ms at x100 is 10 base ms: not yet
    expect(fired).toEqual([]);
    expect(c.now()).toBe(t0);
    await base.advance(1);
    expect(fired).toEqual([['a', 1_000]]);
    await base.advance(10);
    expect(fired).toEqual([['a', 1_000], ['b', 2_000]]);
  });

  it('wall time spent while the drill works does not move it: after a stall mid-step, the next sleep still ends at its own virtual time', async () => {
    const c = new DrillClock(1000); // paced by the real wall clock
    const t0 = c.now();
    const seen: number[] = [];
    await c.sleep(5_000);
    seen.push(c.now() - t0);
    const end = Date.now() + 50;
    while (Date.now() < end) {
      // a 50 ms stall of the whole process: 50 virtual seconds on a wall-scaled clock
    }
    seen.push(c.now() - t0);
    await c.sleep(5_000);
    seen.push(c.now() - t0);
    expect(seen).toEqual([5_000, 5_000, 10_000]);
  });

  it('a timer added while a later one is being paced fires first; a cleared or aborted one never fires', async () => {
    const base = new FakeClock(0);
    const c = new DrillClock(10, base);
    const fired: string[] = [];
    c.setTimeout(() => fired.push('late'), 10_000);
    const gone = c.setTimeout(() => fired.push('cleared'), 500);
    c.clearTimeout(gone);
    const ac = new AbortController();
    void c.sleep(700, ac.signal).then(() => fired.push(`aborted sleep resolves at ${c.now()}`));
    ac.abort();
    await tick();
    await base.advance(50);
    c.setTimeout(() => fired.push('early'), 100);
    await base.advance(60);
    expect(fired).toEqual(['aborted sleep resolves at 0', 'early']);
    await base.advance(1_000);
    expect(fired).toEqual(['aborted sleep resolves at 0', 'early', 'late']);
  });

  it('held work (real I/O) stops virtual time until it settles', async () => {
    const base = new FakeClock(0);
    const c = new DrillClock(1000, base);
    let release!: () => void;
    void c.hold(new Promise<void>((r) => (release = r)));
    const fired: number[] = [];
    c.setTimeout(() => fired.push(c.now()), 1_000);
    await base.advance(100);
    expect(fired).toEqual([]);
    release();
    await base.advance(100);
    expect(fired).toEqual([1_000]);
  });
});
