// A training drill's outcome cannot depend on how fast the machine is: the drill clock advances
// by the drill's own events, so a stalled event loop (busy-waits injected while the monitor is
// mid-poll and mid-verification) only makes the drill take longer. The same drill, stalled and
// unstalled, emits the same events at the same virtual times and ends in the same debrief.
import { afterEach, describe, expect, it } from 'vitest';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import type { MonitorEvent } from '../../src/usecases/monitor.js';
import { TrainingSession } from '../../src/usecases/train.js';
import { makeWorkspace } from '../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The wall clock, read as starting at a fixed moment: both runs get the same t0. */
function wallFrom(fixed: number): Clock {
  let start: number | undefined;
  return {
    ...systemClock,
    now: () => {
      start ??= Date.now();
      return fixed + Date.now() - start;
    },
  };
}

/** Block the whole process (event loop included) for ms, as a loaded machine does. */
function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

interface Drill {
  events: string[];
  lines: string[];
  result: string;
  stalls: number;
  points: number;
}

async function drill(scenario: string, opts: { stall: (e: MonitorEvent) => number; trainee?: boolean }): Promise<Drill> {
  const ws = await makeWorkspace();
  cleanups.push(ws.cleanup);
  const ctx = loadEngineContext(workspaceAt(ws.root), 'staging', { operator: 'trainee' });
  const session = new TrainingSession(ctx, { scenario, speed: 3000, baseClock: wallFrom(Date.UTC(2026, 5, 1, 12)) });
  const events: string[] = [];
  let stalls = 0;
  session.monitor.subscribe((e) => {
    events.push(JSON.stringify(e));
    const ms = opts.stall(e);
    if (ms > 0) {
      stalls++;
      busyWait(ms);
    }
  });
  // The trainee acts on an event (the decision point), not at a wall-clock moment.
  if (opts.trainee) session.onDecision(() => session.requestRollback());
  const d = await session.run();
  return { events, lines: d.lines, result: d.summary.result, stalls, points: d.score.points };
}

const never = (): number => 0;
// Stall mid-poll (every fourth sample) and at every step of the rollback and its verification:
// on a wall-scaled clock, 250 ms at x3000 is 12.5 virtual minutes, and the 60 s verify timeout
// would have passed during the first stall.
const often = (e: MonitorEvent): number => ((e.type === 'sample' && e.observation.seq % 4 === 2) || e.type === 'rollback' ? 250 : 0);

describe('training drill clock', () => {
  it('p95-regression: a stalled drill ends exactly as an unstalled one (same events at the same virtual times, same debrief)', async () => {
    const calm = await drill('p95-regression', { stall: never });
    const stalled = await drill('p95-regression', { stall: often });
    expect(stalled.stalls).toBeGreaterThan(5);
    expect(calm.result).toBe('rolled-back');
    expect(calm.lines.join('\n')).toMatch(/rollback verified|3 consecutive OK health checks/);
    expect(stalled.events).toEqual(calm.events);
    expect(stalled.lines).toEqual(calm.lines);
  }, 120_000);

  it('metrics-outage with the trainee rolling back at the decision point: stalled and unstalled drills agree', async () => {
    const calm = await drill('metrics-outage', { stall: never, trainee: true });
    const stalled = await drill('metrics-outage', { stall: often, trainee: true });
    expect(stalled.stalls).toBeGreaterThan(3);
    expect(calm.result).toBe('rolled-back');
    expect(calm.lines.join('\n')).toMatch(/What you did:\n\s+T\+10:00\s+asked for a rollback/);
    expect(stalled.events).toEqual(calm.events);
    expect(stalled.lines).toEqual(calm.lines);
  }, 120_000);
});
