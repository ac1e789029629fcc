// rollout prune through the real CLI: --dry-run lists and removes nothing; the real run removes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { put } from '../backup/fixtures.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root });
beforeEach(async () => {
  ws = await makeWorkspace();
  put(ws.root, 'logs/monitor_staging_20200101_000000.log', '{}\n');
  put(ws.root, 'logs/monitor_staging_29990101_000000.log', '{}\n');
});
afterEach(() => ws.cleanup());

describe('rollout prune', () => {
  it('--dry-run lists what it would remove and removes nothing', async () => {
    const r = await rollout('prune', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would remove +logs\/monitor_staging_20200101_000000\.log \(monitor-log, \d+ days old, kept 90\)/);
    expect(r.stdout).toMatch(/Dry run: 1 item\(s\) would remove/);
    expect(existsSync(join(ws.root, 'logs/monitor_staging_20200101_000000.log'))).toBe(true);
  });

  it('removes what is past retention (--json)', async () => {
    const r = await rollout('prune', '--json');
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as { removed: { path: string }[]; retention_days: Record<string, number> };
    expect(o.removed.map((x) => x.path)).toEqual(['logs/monitor_staging_20200101_000000.log']);
    expect(o.retention_days).toMatchObject({ backups: 30, monitor_logs: 90, rollback_logs: 365, incidents: 2555 });
    expect(existsSync(join(ws.root, 'logs/monitor_staging_20200101_000000.log'))).toBe(false);
    expect(existsSync(join(ws.root, 'logs/monitor_staging_29990101_000000.log'))).toBe(true);
  });
});
