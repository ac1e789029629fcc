// Test-only hook: with ROLLOUT_TEST_MONITOR_CLOCK=events a monitor window runs on an event clock
// (the training drill's, at speed 1). Its time moves from one poll to the next only once the
// poll's reads are done, paced by the wall clock, so a loaded or stalled machine makes the window
// take longer but cannot skip its polls, nor let a slow read eat the window. The tests whose short
// window must pass set it (a 3 s window with the monitor stopped 2.8 s ended inconclusive: the CPU
// gate needs 3 readings); the cadence itself is held by fake-clock tests. Never set it in real use.
import type { Clock } from '../../domain/clock.js';
import { DrillClock } from '../drill-clock.js';

/** The clock a monitor window runs on: `base`, or an event clock over it when the test hook asks. */
export function monitorClock(base: Clock): Clock {
  return process.env.ROLLOUT_TEST_MONITOR_CLOCK === 'events' ? new DrillClock(1, base) : base;
}
