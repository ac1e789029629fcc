// A runbook walk killed with kill -9 during its monitor step's auto-rollback, then `rollout run
// --resume`: the walk resumes the monitor window it began (not a new one), and that finishes the
// interrupted rollback exactly as `rollout monitor --resume` does: the good release runs at the
// end (read from the service's /version, in a new process), one incident for that window, and the
// walk says what it did. Real CLI processes and the real demo service; the test-only pause hook
// (ROLLOUT_TEST_PAUSE_AT) stops the walk at the point to kill it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killCliAt, runCli } from '../helpers/cli.js';
import { stagingAtBackup } from '../helpers/staging-rollback.js';

const st = stagingAtBackup({ operator: 'gina', timeoutMs: 120_000, monitoring: { durationMinutes: 0.5, intervalSeconds: 0.5, maxWindowMinutes: 0.05 } });
const walk = ['run', 'dhash', '--env', 'staging', '--version', '1.2.0-flaky', '--confirm', 'all', '--sign-off', 'Gina Ops'];

describe('a walk killed during its monitor auto-rollback, then rollout run --resume', () => {
  it.each([
    // monitor: rollback-start journaled, the rollback engine not yet called (no incident yet)
    'rollback-requested',
    // engine: files swapped in / the service restarted on 1.0.0, nothing verified
    'swapped',
    'restarted',
    // engine: incident written, the outcome not yet returned to the monitor
    'incident',
  ])('killed at %s: the resumed walk finishes the rollback; 1.0.0 runs, one incident, the walk says so', async (point) => {
    const monitorsBefore = st.logs('monitor').length;
    await killCliAt(st.root, walk, point, st.env, undefined, 90_000);
    const bad = await st.version().catch(() => undefined);
    const journal = st.logs('monitor').at(-1)!;
    expect(st.logs('monitor')).toHaveLength(monitorsBefore + 1);
    expect(readFileSync(join(st.root, 'logs', journal), 'utf8')).toContain('"event":"rollback-start"');

    const r = await runCli(['run', '--env', 'staging', '--resume'], { cwd: st.root, env: st.env, timeoutMs: 120_000 });
    // The walk ends failed (its monitor rolled back), and says the interrupted rollback was finished.
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^Resuming dhash on staging \(version 1\.2\.0-flaky\)/m);
    expect(r.stdout).toContain(`resuming the monitor window this walk began (logs/${journal})`);
    expect(r.stdout).toMatch(/interrupted before it was verified; finishing it now/);
    expect(r.stderr).toMatch(/^rollout: Step "monitor" failed: staging was rolled back because health_failures breached .*\(the interrupted rollback was finished by --resume\): .*the target runs 1\.0\.0; health and smoke checks pass again \(incident INC-/);
    expect(r.stdout + r.stderr).not.toMatch(/ROLLBACK FAILED/);

    // No second window: the resumed walk continued the same journal.
    expect(st.logs('monitor')).toHaveLength(monitorsBefore + 1);
    const events = st.events(journal);
    expect(events.filter((e) => e.event === 'rollback-start')).toHaveLength(1);
    expect(events.find((e) => e.event === 'rollback-done')).toMatchObject({ ok: true, resumed: true });

    // What runs is read from the service itself: 1.0.0, in a new process.
    const now = await st.version();
    expect(now.version).toBe('1.0.0');
    if (bad?.version === '1.2.0-flaky') expect(now.pid).not.toBe(bad.pid);

    // One incident for this window, saying what happened (opened by the resume when the kill came first).
    const mine = st.incidents().filter((i) => i.logs.includes(`logs/${basename(journal)}`));
    expect(mine, JSON.stringify(st.incidents())).toHaveLength(1);
    expect(mine[0]).toMatchObject({ rollback_ok: true, outcome: 'rolled-back', version_after: '1.0.0', resumed: true, trigger: { kind: 'auto', gate: 'health_failures' } });
    expect(existsSync(join(st.root, '.rollout/rollback/staging.journal.json'))).toBe(false);

    // The walk's own log: resumed in the monitor step, which ended failed with the rollback's sentence.
    const run = st.events(st.logs('run').at(-1)!);
    expect(run.filter((e) => e.event === 'walk-resumed')).toHaveLength(1);
    expect(run.filter((e) => e.event === 'step-resume').map((e) => e.step)).toEqual(['monitor']);
    expect(run.find((e) => e.event === 'step-failed' && e.step === 'monitor')?.message).toMatch(/the interrupted rollback was finished by --resume/);
  }, 240_000);
});
