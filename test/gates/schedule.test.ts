// Polling from the config's phases, on a grid from T0 (no drift), adaptive while a gate warns.
import { describe, expect, it } from 'vitest';
import { cadenceAt, nextPollAt } from '../../src/gates/schedule.js';
import { ObservationHistory } from '../../src/gates/history.js';
import { MIN, T0, planOf, shippedEnv } from './sim.js';

const plan = planOf(shippedEnv('production'));

function allPolls(fast = false): number[] {
  const out: number[] = [];
  for (let t: number | null = T0; t !== null; t = nextPollAt(plan, t, fast)) out.push((t - T0) / 1000);
  return out;
}

describe('poll schedule', () => {
  it('polls every 30 s for 5 minutes, then every 120 s, and at the end of the 60 minutes', () => {
    const polls = allPolls();
    expect(polls.slice(0, 11)).toEqual([0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300]);
    expect(polls.slice(11, 13)).toEqual([420, 540]);
    expect(polls.at(-2)).toBe(3540);
    expect(polls.at(-1)).toBe(3600);
    expect(polls).toHaveLength(10 + 28 + 1);
    expect(nextPollAt(plan, T0 + 60 * MIN)).toBeNull();
  });

  it('does not drift: a poll that finished late keeps the next on the grid', () => {
    expect(nextPollAt(plan, T0 + 31_700)).toBe(T0 + 60_000);
    expect(nextPollAt(plan, T0 + 7 * MIN + 2_500)).toBe(T0 + 9 * MIN);
    // A poll so late that it missed a tick goes to the next tick, not a burst of catch-up polls.
    expect(nextPollAt(plan, T0 + 11 * MIN + 30_000)).toBe(T0 + 13 * MIN);
  });

  it('adaptive: while a gate warns the fastest cadence applies; off when adaptive is false', () => {
    expect(nextPollAt(plan, T0 + 20 * MIN, true)).toBe(T0 + 20.5 * MIN);
    expect(cadenceAt(plan, T0 + 20 * MIN, true)).toEqual({ intervalSeconds: 30, adaptive: true, phase: 1 });
    expect(nextPollAt({ ...plan, adaptive: false }, T0 + 20 * MIN, true)).toBe(T0 + 21 * MIN);
    expect(cadenceAt(plan, T0 + 20 * MIN, false)).toEqual({ intervalSeconds: 120, adaptive: false, phase: 1 });
  });

  it('fractional intervals and windows work (0.5 s polling of a 0.4-minute window)', () => {
    const short = { t0: T0, endAt: T0 + 24_000, polling: [{ intervalSeconds: 0.5 }], adaptive: true };
    let n = 0;
    for (let t: number | null = T0; t !== null; t = nextPollAt(short, t)) n++;
    expect(n).toBe(49);
  });
});

describe('kept history', () => {
  it('stays bounded over 24 hours of 0.5 s polls', () => {
    const h = new ObservationHistory(60 * MIN);
    let max = 0;
    for (let i = 0; i < 24 * 3600 * 2; i++) {
      h.push({ seq: i, t: T0 + i * 500, source: 'ok', values: {} });
      max = Math.max(max, h.size);
    }
    expect(max).toBeLessThanOrEqual(7200 + 64);
    expect(h.all()[0]!.t).toBeGreaterThanOrEqual(T0 + 24 * 3600_000 - 60 * MIN - 64 * 500);
  });
});
