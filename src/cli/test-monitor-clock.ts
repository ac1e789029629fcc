// Test-only hook at the CLI's edge, for the tests that must drive the real CLI process: with
// ROLLOUT_TEST_MONITOR_CLOCK=events a monitor window runs on an event clock (the training drill's,
// at speed 1). Its time moves from one poll to the next only once the poll's reads are done, paced
// by the wall clock, so a loaded or stalled machine makes the window take longer but cannot skip
// its polls, nor let a slow read eat the window. (A 3 s window with the monitor stopped 2.8 s
// ended inconclusive: the CPU gate needs 3 readings.) Tests that call the use case directly inject
// the clock instead (EngineContext.monitorClock).
//
// So that the hook cannot be reached in real use by accident (a variable left exported in a shell,
// a CI job or a service unit), it is honoured only together with ROLLOUT_TEST_WORKSPACE naming the
// very workspace the command acts on: the tests name their own temp workspace, and no real
// workspace is ever named by chance. When honoured, the monitor's journal says so (test-clock).
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EngineContext } from '../config/engine-context-of.js';
import { DrillClock } from '../usecases/drill-clock.js';

function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/** `engine` with its monitor window on the event clock when both test variables ask for it (for this workspace); else `engine`. */
export function withTestMonitorClock(engine: EngineContext, env: NodeJS.ProcessEnv = process.env): EngineContext {
  if (env.ROLLOUT_TEST_MONITOR_CLOCK !== 'events') return engine;
  const named = env.ROLLOUT_TEST_WORKSPACE;
  if (!named || !samePath(named, engine.ws.root)) return engine;
  return { ...engine, monitorClock: new DrillClock(1, engine.clock) };
}
