// `rollout smoke --output FILE` appends this run's events only. The run's own log is named by the
// second it started (logs/smoke_test_<env>_<ts>.log, SPEC.md) and opened for append, so two runs
// started in the same second share it: CI once saw a --output copy carry the other run's events.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logPath } from '../../src/audit/logger.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { smoke } from '../../src/usecases/smoke.js';
import { makeWorkspace } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(() => ws.cleanup());

describe('smoke --output', () => {
  it('appends only the events of its own run, even when another run of the same second wrote the shared log', async () => {
    const ctx = loadEngineContext(workspaceAt(ws.root), 'development', { operator: 'carol' });
    // Another run's events in the log files of this second and the next few (whichever this run opens).
    const foreign = `${JSON.stringify({ ts: new Date().toISOString(), level: 'info', event: 'smoke.start', env: 'development', run_id: 'another-run' })}\n`;
    const now = Date.now();
    mkdirSync(ctx.ws.logsDir, { recursive: true });
    for (let s = -1; s <= 5; s++) writeFileSync(logPath(ctx.ws.logsDir, 'smoke_test', 'development', now + s * 1000), foreign);
    const out = join(ws.root, 'logs', 'collected.log');
    const r = await smoke(ctx, { tier: 'critical', phase: 'post-deploy', output: out });
    // The shared log holds both runs: the case this test is about did happen.
    expect(readFileSync(r.logPath, 'utf8')).toContain('another-run');
    expect(existsSync(out)).toBe(true);
    const events = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; run_id: string });
    expect(events.map((e) => e.event)).toEqual(['smoke.start', ...r.results.map(() => 'smoke.check'), 'smoke.done']);
    expect(new Set(events.map((e) => e.run_id)).size).toBe(1);
    expect(events[0]!.run_id).not.toBe('another-run');
  });
});
