// The CLI's test hook for the monitor's event clock is honoured only with both test variables, the
// second naming the very workspace the command acts on: a stray ROLLOUT_TEST_MONITOR_CLOCK alone,
// or one aimed at another workspace, leaves a real window on the wall clock.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineContext, type EngineContext } from '../../src/config/engine-context.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { withTestMonitorClock } from '../../src/cli/test-monitor-clock.js';
import { DrillClock } from '../../src/usecases/drill-clock.js';
import { makeWorkspace } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let other: Awaited<ReturnType<typeof makeWorkspace>>;
let engine: EngineContext;
let links: string;

beforeAll(async () => {
  ws = await makeWorkspace();
  other = await makeWorkspace();
  engine = loadEngineContext(workspaceAt(ws.root), 'staging', { operator: 'test' });
  links = mkdtempSync(join(tmpdir(), 'clock-link-'));
  symlinkSync(ws.root, join(links, 'ws'));
});

afterAll(() => {
  ws.cleanup();
  other.cleanup();
  rmSync(links, { recursive: true, force: true });
});

describe('withTestMonitorClock', () => {
  it.each([
    ['nothing set', {}],
    ['the clock variable alone (a stray export)', { ROLLOUT_TEST_MONITOR_CLOCK: 'events' }],
    ['the workspace variable alone', { get ROLLOUT_TEST_WORKSPACE() { return ws.root; } }],
    ['another workspace named', { ROLLOUT_TEST_MONITOR_CLOCK: 'events', get ROLLOUT_TEST_WORKSPACE() { return other.root; } }],
    ['an empty workspace name', { ROLLOUT_TEST_MONITOR_CLOCK: 'events', ROLLOUT_TEST_WORKSPACE: '' }],
    ['another clock value', { ROLLOUT_TEST_MONITOR_CLOCK: 'EVENTS', get ROLLOUT_TEST_WORKSPACE() { return ws.root; } }],
  ])('%s: the wall clock, the context unchanged', (_n, env: Record<string, string>) => {
    const out = withTestMonitorClock(engine, { ...env });
    expect(out).toBe(engine);
    expect(out.monitorClock).toBeUndefined();
  });

  it('both, naming this workspace (also through a symlink): the event clock for the monitor only', () => {
    for (const named of [ws.root, join(links, 'ws'), `${ws.root}/`]) {
      const out = withTestMonitorClock(engine, { ROLLOUT_TEST_MONITOR_CLOCK: 'events', ROLLOUT_TEST_WORKSPACE: named });
      expect(out.monitorClock).toBeInstanceOf(DrillClock);
      // Notifications and the rollback keep the real clock.
      expect(out.clock).toBe(engine.clock);
      expect(engine.monitorClock).toBeUndefined();
    }
  });
});
