// An old service process frozen with SIGSTOP while a rollback replaces it, then woken with SIGCONT
// (during the rollback, or only after it): it cannot remove the new process's pid file or take its
// port. The rollback ends on 1.0.0 in a new process, read from the service's /version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../demo/service-helpers.js';
import { truthy, waitUntil } from '../helpers/frames.js';
import { stagingAtBackup } from '../helpers/staging-rollback.js';

const st = stagingAtBackup({ operator: 'frank', timeoutMs: 90_000 });
const rollout = st.rollout;
const version = st.version;
const pidFile = (): number => Number(readFileSync(join(st.root, 'deployments/staging/service.pid'), 'utf8').trim());
const stopped = st.frozen;
/** The restart lines of the newest rollback log (what stop and start said), for failure messages. */
const restartLines = (): string => {
  const log = st.logs('rollback').at(-1);
  return log ? `\n${readFileSync(join(st.root, 'logs', log), 'utf8').split('\n').filter((l) => l.includes('restart_output')).join('\n')}` : '';
};

describe('a stale service process woken during or after a rollback', () => {
  it.each([
    ['during the rollback (1.5 s in)', 1500],
    ['only after the rollback ended', -1],
  ])('SIGCONT %s: 1.0.0 runs in the new process, which keeps its pid file and port', async (_when, contAfterMs) => {
    const dep = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor');
    expect(dep.code, dep.stderr).toBe(0);
    const old = await version();
    expect(old.version).toBe('1.1.0');
    process.kill(old.pid, 'SIGSTOP');
    stopped.push(old.pid);
    const run = rollout('rollback', '--env', 'staging');
    const timer = contAfterMs >= 0 ? setTimeout(() => process.kill(old.pid, 'SIGCONT'), contAfterMs) : undefined;
    const r = await run;
    clearTimeout(timer);
    if (contAfterMs < 0 && alive(old.pid)) process.kill(old.pid, 'SIGCONT');
    expect(r.code, r.stdout + r.stderr + restartLines()).toBe(0);
    expect(r.stdout).toMatch(/Rolled back staging from 1\.1\.0 to 1\.0\.0 .*; the target runs 1\.0\.0\./);

    // The old process is gone (it stopped on SIGTERM once woken, or was killed while frozen).
    await waitUntil(() => !alive(old.pid), truthy, `old pid ${old.pid} to exit`, { ms: 10_000, intervalMs: 100 });
    // A moment later the new process still owns the pid file and the port.
    await new Promise((res) => setTimeout(res, 1000));
    const now = await version();
    expect(now.version).toBe('1.0.0');
    expect(now.pid).not.toBe(old.pid);
    expect(pidFile()).toBe(now.pid);
    const st = await rollout('service', 'status', '--env', 'staging', '--json');
    expect(JSON.parse(st.stdout)).toMatchObject({ running: true, pid: now.pid, version: '1.0.0' });
  }, 120_000);
});
