// The headless monitor's lines: a non-zero ending is said once (on stderr by the command), not
// twice (once here on stdout, once there).
import { describe, expect, it } from 'vitest';
import { HeadlessView } from '../../src/usecases/monitor-format.js';
import type { MonitorSummary } from '../../src/usecases/monitor.js';

function summary(exitCode: number, message: string): MonitorSummary {
  return { env: 'staging', result: exitCode ? 'stopped' : 'passed', exitCode, message, t0: 0, endAt: 60_000, endedAt: 3000, polls: 1, breaches: [], alerts: 0, sourceProblems: 0, resumed: false, finalStates: {}, logPath: 'logs/monitor_staging_x.log' } as MonitorSummary;
}

describe('HeadlessView done lines', () => {
  it('a stopped window prints only the journal here; its sentence goes to stderr once', () => {
    const v = new HeadlessView();
    expect(v.lines({ type: 'done', summary: summary(1, 'The monitor of staging was stopped at T+00:03') })).toEqual(['Journal: logs/monitor_staging_x.log']);
  });
  it('a passed window prints its sentence and the journal', () => {
    const v = new HeadlessView();
    expect(v.lines({ type: 'done', summary: summary(0, 'staging passed') })).toEqual(['staging passed', 'Journal: logs/monitor_staging_x.log']);
  });
});
