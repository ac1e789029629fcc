// Poll scheduling from the config's phases, on a fixed grid from T0 (next = phase start +
// k * interval, never now + interval) so that slow polls do not make the schedule drift.
import type { PollPhase } from '../config/gates-schema.js';

/** The window and cadence of one monitor run. */
export interface PollPlan {
  t0: number;
  endAt: number;
  polling: readonly PollPhase[];
  adaptive: boolean;
}

/** The phase in force at time t: its index, interval and where it ends. */
export interface PhaseInfo {
  index: number;
  intervalSeconds: number;
  untilMinute?: number;
}

/** The polling phase in force at a time of the window. */
export function phaseAt(plan: PollPlan, t: number): PhaseInfo {
  const minute = (t - plan.t0) / 60_000;
  for (let i = 0; i < plan.polling.length; i++) {
    const p = plan.polling[i]!;
    if (p.untilMinute === undefined || minute < p.untilMinute) return { index: i, intervalSeconds: p.intervalSeconds, ...(p.untilMinute !== undefined ? { untilMinute: p.untilMinute } : {}) };
  }
  const i = plan.polling.length - 1;
  return { index: i, intervalSeconds: plan.polling[i]!.intervalSeconds };
}

/** The fastest interval of the plan (ms): the adaptive cadence. */
export function fastestMs(plan: PollPlan): number {
  return Math.round(Math.min(...plan.polling.map((p) => p.intervalSeconds)) * 1000);
}

function gridAfter(start: number, stepMs: number, after: number): number {
  if (after < start) return start;
  return start + (Math.floor((after - start) / stepMs) + 1) * stepMs;
}

/**
 * The next poll strictly after `after`: the next tick of the phase grid, or of the fastest grid
 * when `fast` (a gate warns and adaptive polling is on); the window's end is always a poll.
 * Returns null when the window is over.
 */
export function nextPollAt(plan: PollPlan, after: number, fast = false): number | null {
  if (after >= plan.endAt) return null;
  let next = Number.POSITIVE_INFINITY;
  let start = plan.t0;
  for (const p of plan.polling) {
    const end = p.untilMinute === undefined ? Number.POSITIVE_INFINITY : plan.t0 + Math.round(p.untilMinute * 60_000);
    if (end > after) {
      const tick = gridAfter(start, Math.max(1, Math.round(p.intervalSeconds * 1000)), after);
      if (tick < end) {
        next = tick;
        break;
      }
      // No tick left in this phase after `after`: the next phase starts with a poll.
      if (end > after) {
        next = end;
        break;
      }
    }
    start = end;
  }
  if (fast && plan.adaptive) next = Math.min(next, gridAfter(plan.t0, Math.max(1, fastestMs(plan)), after));
  return Math.min(next, plan.endAt);
}

/** The cadence in force (seconds) for display: adaptive fastest, or the phase's interval. */
export function cadenceAt(plan: PollPlan, t: number, fast: boolean): { intervalSeconds: number; adaptive: boolean; phase: number } {
  const ph = phaseAt(plan, t);
  const f = fastestMs(plan) / 1000;
  const adaptive = fast && plan.adaptive && f < ph.intervalSeconds;
  return { intervalSeconds: adaptive ? f : ph.intervalSeconds, adaptive, phase: ph.index };
}
