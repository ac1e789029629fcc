// A monitor killed with kill -9 at each stage of its own auto-rollback, then `rollout monitor
// --resume`: the good release runs at the end (read from the service's /version), there is one
// incident for that monitor run, and the output says the interrupted rollback was finished. Then a
// manual rollback right after is a no-op. Real CLI processes and the real demo service; the
// test-only pause hook (ROLLOUT_TEST_PAUSE_AT) stops the monitor at the point to kill it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killCliAt } from '../helpers/cli.js';
import { stagingAtBackup } from '../helpers/staging-rollback.js';

const st = stagingAtBackup({ operator: 'erin', timeoutMs: 90_000, monitoring: { durationMinutes: 0.5, intervalSeconds: 0.5, maxWindowMinutes: 0.05 } });
const { rollout, version, incidents } = st;
const newestMonitorLog = (): string => st.logs('monitor').at(-1)!;

describe('a monitor killed during its auto-rollback, then --resume', () => {
  it.each([
    // monitor: rollback-start journaled, the engine not yet called
    'rollback-requested',
    // engine: backup verified / archived / staged / files swapped in / service restarted
    'verified',
    'archived',
    'staged',
    'swapped',
    'restarted',
    // engine: incident written, outcome not yet notified / returned to the monitor
    'incident',
    // monitor: the engine returned, rollback-done not yet journaled
    'rollback-returned',
  ])('killed at %s: the resumed monitor finishes the rollback; 1.0.0 runs, one incident, honest output', async (point) => {
    const dep = await rollout('deploy', '--env', 'staging', '--version', '1.2.0-flaky', '--yes', '--no-monitor');
    expect(dep.code, dep.stderr).toBe(0);
    const bad = await version();
    expect(bad.version).toBe('1.2.0-flaky');

    await killCliAt(st.root, ['monitor', '--env', 'staging'], point, st.env);
    const journal = newestMonitorLog();
    expect(readFileSync(join(st.root, 'logs', journal), 'utf8')).toContain('"event":"rollback-start"');

    const r = await rollout('monitor', '--env', 'staging', '--resume');
    // A rolled-back window ends with exit 1 (a gate breached), and says what the resume did.
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^rollout: staging was rolled back because health_failures breached .*\(the interrupted rollback was finished by --resume\): .*the target runs 1\.0\.0; health and smoke checks pass again \(incident INC-/);
    expect(r.stdout).toMatch(/interrupted before it was verified; finishing it now/);
    expect(r.stderr + r.stdout).not.toMatch(/ROLLBACK FAILED/);

    // What runs is read from the service itself: 1.0.0, in a new process.
    const now = await version();
    expect(now.version).toBe('1.0.0');
    expect(now.pid).not.toBe(bad.pid);

    // One incident for this monitor run, saying what happened.
    const mine = incidents().filter((i) => i.logs.includes(`logs/${basename(journal)}`));
    expect(mine, JSON.stringify(incidents())).toHaveLength(1);
    expect(mine[0]).toMatchObject({ rollback_ok: true, outcome: 'rolled-back', version_after: '1.0.0', resumed: true, trigger: { kind: 'auto', gate: 'health_failures' } });

    // The journal holds one rollback-start (never a second rollback) and the resumed outcome.
    const events = st.events(journal);
    expect(events.filter((e) => e.event === 'rollback-start')).toHaveLength(1);
    expect(events.find((e) => e.event === 'rollback-done')).toMatchObject({ ok: true, resumed: true });
    expect(existsSync(join(st.root, '.rollout/rollback/staging.journal.json'))).toBe(false);
  }, 120_000);

  it('a manual rollback right after the auto-rollback is a no-op: nothing restored, restarted or opened', async () => {
    const before = await version();
    expect(before.version).toBe('1.0.0');
    const n = incidents().length;
    const r = await rollout('rollback', '--env', 'staging', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { outcome: string; noop: boolean; message: string; incident: string | null };
    expect(j).toMatchObject({ outcome: 'noop', noop: true, incident: null });
    expect(j.message).toMatch(/^staging already runs 1\.0\.0 from backups\/dhash_staging_\d{8}_\d{6}\.zip and is healthy; nothing to do/);
    const human = await rollout('rollback', '--env', 'staging');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/staging already runs 1\.0\.0 from backups\/dhash_staging_\d{8}_\d{6}\.zip and is healthy; nothing to do/);
    expect(await version()).toEqual(before);
    expect(incidents()).toHaveLength(n);
  }, 60_000);
});
