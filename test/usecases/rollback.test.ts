// rollback() called the way the monitor calls it: stages in SPEC.md's order through onStage, the
// breach reason carried into the incident, a notifier that never answers does not hold the
// rollback up, and a health failure after the restore is exit 1 with the restored files kept.
// Real files in a temp workspace and a real HTTP health server on 127.0.0.1 whose answers follow
// the release that `current` points at (the Target below restarts it by re-reading the link).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileStamp } from '../../src/domain/time.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gateLine } from '../../src/notify/format.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/usecases/backup.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { RefusedError } from '../../src/domain/errors.js';
import type { DeliveryReport, Notification, Notifier } from '../../src/notify/types.js';
import { loadEngineContext, type EngineContext } from '../../src/config/engine-context.js';
import { rollback, type RollbackStage } from '../../src/usecases/rollback.js';
import type { ServiceStatus, Target } from '../../src/targets/contract.js';
import { makeWorkspace } from '../helpers/cli.js';
import { craftZip, deployTree, manifestFor, writeValidChecksum } from '../backup/fixtures.js';
import { createNotifier } from '../../src/notify/index.js';
import { startSink } from '../notify/sinks.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let server: Server;
let served: string | undefined;
let healthy = true;
let restarts = 0;

function runbook(port: number): string {
  return `name: dhash
title: test runbook
steps:
  - { id: deploy, type: deploy }
environments:
  staging:
    target: { kind: local, port: ${port} }
    health: { kind: http, url: "http://127.0.0.1:${port}/health", json_field: status, expect: ok, timeout_ms: 500 }
    metrics: { kind: http-json, url: "http://127.0.0.1:${port}/metrics" }
    smoke:
      - { id: health, tier: critical, kind: http, url: "http://127.0.0.1:${port}/health", expect_status: 200, body_contains: '"status":"ok"' }
  production:
    production: true
    target: { kind: local, port: ${port} }
    health: { kind: http, url: "http://127.0.0.1:${port}/health" }
    metrics: { kind: http-json, url: "http://127.0.0.1:${port}/metrics" }
`;
}

/** A target over the real files: restart makes the HTTP server serve the release `current` names. */
function fileTarget(root: string, o: { rollbackDoesNothing?: boolean; healOnRestart?: boolean } = {}): Target {
  const link = join(root, 'deployments/staging/current');
  const version = async (): Promise<string | undefined> => (existsSync(link) ? readlinkSync(link).split('/').pop() : undefined);
  const restart = async (onLine?: (l: string) => void): Promise<void> => {
    served = await version();
    restarts++;
    if (o.healOnRestart) healthy = true;
    onLine?.(`serving ${served}`);
  };
  return {
    kind: 'local',
    availableVersions: async () => ['1.0.0', '1.1.0'],
    currentVersion: version,
    // What "runs": the served release, one pid per restart.
    running: async () => (served ? { version: served, pid: 1000 + restarts } : undefined),
    rollbackTo: async (_t, onLine) => {
      if (o.rollbackDoesNothing) onLine?.('did nothing');
      else await restart(onLine);
    },
    install: async () => undefined,
    restart,
    start: async () => undefined,
    stop: async () => undefined,
    status: async (): Promise<ServiceStatus> => ({ running: true, ...(served ? { version: served } : {}) }),
    plan: () => [],
    stateFiles: () => ['deployments/staging/releases', 'deployments/staging/current', 'config/staging/dhash.json', 'migrations/staging_migration_state.json'],
  };
}

/** The rollback's staging and set-aside folders left beside the roots (none once a rollback is settled). */
function leftovers(root: string): string[] {
  return ['deployments/staging', 'config/staging', 'migrations'].flatMap((d) => (existsSync(join(root, d)) ? readdirSync(join(root, d)).filter((f) => f.includes('.rollback-')) : []));
}

/** This environment's rollback_wait_ms in quality-gates-config.json. */
function setWaitMs(ms: number): void {
  const cfgPath = join(ws.root, 'quality-gates-config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { environments: Record<string, { notifications?: Record<string, unknown> }> };
  cfg.environments.staging!.notifications = { ...(cfg.environments.staging!.notifications ?? {}), rollback_wait_ms: ms };
  writeFileSync(cfgPath, JSON.stringify(cfg));
}

class RecordingNotifier implements Notifier {
  sent: Notification[] = [];
  async send(n: Notification): Promise<DeliveryReport> {
    this.sent.push(n);
    return { notification: n, outcomes: [{ channel: 'fallback', status: 'delivered', attempts: 1 }], ok: true };
  }
}

function ctx(env = 'staging'): EngineContext {
  return loadEngineContext(workspaceAt(ws.root), env, { operator: 'oncall' });
}

beforeEach(async () => {
  ws = await makeWorkspace();
  healthy = true;
  served = undefined;
  restarts = 0;
  server = createServer((req, res) => {
    if (req.url?.startsWith('/health') && healthy && served) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', version: served }));
    } else {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'down' }));
    }
  });
  await new Promise<void>((r) => server.listen(ws.ports.staging, '127.0.0.1', r));
  writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), runbook(ws.ports.staging!));
  deployTree(ws.root, 'staging', '1.0.0');
  await createBackup(ctx(), {});
  deployTree(ws.root, 'staging', '1.1.0');
  served = '1.1.0';
});
afterEach(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  ws.cleanup();
});

describe('rollback()', () => {
  it('runs the stages in SPEC order, restores 1.0.0, and records the breach that triggered it', async () => {
    const seen: RollbackStage[] = [];
    const notifier = new RecordingNotifier();
    const out = await rollback(ctx(), {
      force: false,
      dryRun: false,
      reason: { gate: 'p95_hash_time', value: 2450, threshold: 2000, unit: 'ms', windowMinutes: 15 },
      onStage: (s) => seen.push(s),
      notifier,
      target: fileTarget(ws.root),
      healthIntervalMs: 20,
    });
    expect(out.ok).toBe(true);
    expect(out.exitCode).toBe(0);
    const finished = seen.filter((s) => s.status !== 'running').map((s) => `${s.name}:${s.status}`);
    expect(finished).toEqual(['notify:ok', 'verify:ok', 'archive:ok', 'restore:ok', 'restart:ok', 'version:ok', 'health:ok', 'smoke:ok', 'incident:ok', 'notify-done:ok']);
    expect(out.runningVersion).toBe('1.0.0');
    expect(seen.find((s) => s.name === 'version' && s.status === 'ok')!.detail).toBe('1.0.0 (pid 1001) runs (1.1.0 (pid 1000) -> 1.0.0 (pid 1001))');
    expect(out.healthChecks.filter((c) => c.ok)).toHaveLength(3);
    expect(served).toBe('1.0.0');
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
    expect(notifier.sent.map((n) => n.type)).toEqual(['rollback-start', 'rollback-success']);
    // The gate fact names the window the gate judged over, never "latest reading" for a windowed gate.
    expect(gateLine(notifier.sent[0]!.gate!)).toBe('p95_hash_time: 2450 ms against a threshold of 2000 ms (15 min window)');
    expect(notifier.sent[0]!.gate).toMatchObject({ name: 'p95_hash_time', value: 2450, threshold: 2000 });
    expect(notifier.sent[1]!.incidentId).toBe(out.incidentId);
    const inc = JSON.parse(readFileSync(join(ws.root, 'incidents', out.incidentId!, 'incident.json'), 'utf8')) as Record<string, unknown>;
    expect(inc).toMatchObject({ trigger: { kind: 'auto', gate: 'p95_hash_time', value: 2450, threshold: 2000, unit: 'ms' }, rollback_ok: true, outcome: 'rolled-back', version_before: '1.1.0', version_after: '1.0.0', backup_version: '1.0.0' });
  });

  it('--dry-run plans from the same stage list the real run executes: the same names in the same order, and nothing changes', async () => {
    const planned: RollbackStage[] = [];
    const dry = await rollback(ctx(), { force: false, dryRun: true, onStage: (s) => planned.push(s), target: fileTarget(ws.root) });
    expect(dry).toMatchObject({ ok: true, dryRun: true, version: '1.0.0' });
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.1.0');
    expect(restarts).toBe(0);
    expect(planned.find((s) => s.name === 'verify')).toMatchObject({ status: 'ok' });
    expect(planned.find((s) => s.name === 'restart')!.detail).toBe('bring 1.0.0 back: restart the staging service (local target)');
    const log = readFileSync(join(ws.root, 'rollback-dryrun.log'), 'utf8');
    expect(log).toMatch(/^ 1\. notify {7}send rollback-start/m);
    expect(log).toMatch(/^10\. notify-done {2}send rollback-success or rollback-failure$/m);

    const ran: RollbackStage[] = [];
    const out = await rollback(ctx(), { force: false, dryRun: false, onStage: (s) => ran.push(s), notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(out.ok).toBe(true);
    expect([...new Set(ran.map((s) => s.name))]).toEqual(planned.map((s) => s.name));
  });

  it('a rollback whose restart brings nothing back is ROLLBACK FAILED (exit 1): the target still runs 1.1.0, critical notice, incident rollback-failed', async () => {
    const notifier = new RecordingNotifier();
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier, target: fileTarget(ws.root, { rollbackDoesNothing: true }), healthIntervalMs: 20, healthTimeoutMs: 300 });
    expect(out.ok).toBe(false);
    expect(out.failed).toBe(true);
    expect(out.exitCode).toBe(1);
    expect(out.error).toBe('ROLLBACK FAILED: staging still runs 1.1.0 (expected 1.0.0): the target reports 1.1.0 (pid 1000) running, not the backup\'s 1.0.0.');
    expect(out.runningVersion).toBe('1.1.0');
    // The files were restored, but that is not what runs: no health or smoke "pass" is claimed.
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
    expect(out.stages.find((s) => s.name === 'version')!.status).toBe('failed');
    expect(out.stages.find((s) => s.name === 'health')).toBeUndefined();
    const last = notifier.sent.at(-1)!;
    expect(last.type).toBe('rollback-failure');
    expect(last.message).toMatch(/^ROLLBACK FAILED: staging still runs 1\.1\.0/);
    const inc = JSON.parse(readFileSync(join(ws.root, 'incidents', out.incidentId!, 'incident.json'), 'utf8')) as Record<string, unknown>;
    expect(inc).toMatchObject({ rollback_ok: false, outcome: 'rollback-failed', version_before: '1.1.0', version_after: '1.1.0', backup_version: '1.0.0' });
    expect(readFileSync(join(ws.root, 'incidents', out.incidentId!, 'report.md'), 'utf8')).toMatch(/rollback \(ROLLBACK FAILED\)[\s\S]*\*\*ROLLBACK FAILED: staging still runs 1\.1\.0/);
  });

  it('the same instance still running after the restart (nothing restarted) is ROLLBACK FAILED even on the right version', async () => {
    served = '1.0.0';
    healthy = false; // a hung process on the backup's version: not a no-op, it must be restarted
    const t = fileTarget(ws.root, { rollbackDoesNothing: true });
    healthy = true;
    const out = await rollback(ctx(), { force: false, dryRun: false, again: true, notifier: new RecordingNotifier(), target: t, healthIntervalMs: 20, healthTimeoutMs: 300 });
    expect(out.ok).toBe(false);
    expect(out.error).toBe('ROLLBACK FAILED: staging runs 1.0.0, but the same instance (1.0.0 (pid 1000)) still runs: the restart did not happen.');
  });

  it('asked again while the backup\'s version already runs and is healthy: a no-op (nothing restored, restarted or notified); --again does it anyway', async () => {
    const notifier = new RecordingNotifier();
    const first = await rollback(ctx(), { force: false, dryRun: false, notifier, target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(first.ok).toBe(true);
    const restartsBefore = restarts;
    const incidents = readdirSync(join(ws.root, 'incidents')).length;
    const sent = notifier.sent.length;
    const again = await rollback(ctx(), { force: false, dryRun: false, notifier, target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(again).toMatchObject({ ok: true, noop: true, exitCode: 0, incidentId: null });
    expect(again.message).toMatch(/^staging already runs 1\.0\.0 from backups\/dhash_staging_\d{8}_\d{6}\.zip and is healthy; nothing to do/);
    expect(restarts).toBe(restartsBefore);
    expect(readdirSync(join(ws.root, 'incidents'))).toHaveLength(incidents);
    expect(notifier.sent).toHaveLength(sent);
    const forced = await rollback(ctx(), { force: false, dryRun: false, again: true, notifier, target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(forced.ok).toBe(true);
    expect(forced.noop).toBeUndefined();
    expect(restarts).toBe(restartsBefore + 1);
  });

  it('an unhealthy target on the backup\'s version is restored and restarted (healing), not a no-op', async () => {
    const first = await rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(first.ok).toBe(true);
    healthy = false;
    const n = restarts;
    // The hung process recovers once restarted.
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target: fileTarget(ws.root, { healOnRestart: true }), healthIntervalMs: 20, healthTimeoutMs: 3000 });
    expect(out.noop).toBeUndefined();
    expect(restarts).toBe(n + 1);
    expect(out.ok).toBe(true);
  });

  it('with no channel configured, both notification stages say NOBODY NOTIFIED (the fallback file is not a person); with Slack they name it', async () => {
    const c = ctx();
    const none = createNotifier({ ws: c.ws, env: 'staging', settings: c.gates.notifications, envVars: {} });
    const out = await rollback(c, { force: false, dryRun: false, notifier: none, target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(out.ok).toBe(true);
    for (const name of ['notify', 'notify-done'] as const) {
      const st = out.stages.find((s) => s.name === name)!;
      expect(st.detail).toMatch(/^NOBODY NOTIFIED: no channel is set up to take it; written to notifications\/fallback\/\S+\.json$/);
      const file = /written to (\S+)$/.exec(st.detail)![1]!;
      expect(existsSync(join(ws.root, file))).toBe(true);
    }
    expect(out.notified).toEqual([
      { stage: 'notify', channels: [], nobody: true, pending: false },
      { stage: 'notify-done', channels: [], nobody: true, pending: false },
    ]);
    // A real Slack webhook on 127.0.0.1 takes it: the stage names the channel.
    const slack = await startSink();
    try {
      const routed = { ...c.gates.notifications, routing: { ...c.gates.notifications.routing, slack: ['info', 'warning', 'critical'] as ('info' | 'warning' | 'critical')[] } };
      const one = createNotifier({ ws: c.ws, env: 'staging', settings: routed, envVars: { SLACK_WEBHOOK_URL: slack.url('/services/T0/B0/x') } });
      const again = await rollback(c, { force: false, dryRun: false, again: true, notifier: one, target: fileTarget(ws.root), healthIntervalMs: 20 });
      expect(again.stages.find((s) => s.name === 'notify')!.detail).toBe('sent via slack');
      expect(again.notified?.map((n) => n.channels)).toEqual([['slack'], ['slack']]);
      expect(slack.received.length).toBe(2);
    } finally {
      await slack.close();
    }
  });

  it('a notifier that never answers does not hold the rollback up', async () => {
    let release: (() => void) | undefined;
    const stuck: Notifier = {
      send: (n) =>
        new Promise<DeliveryReport>((resolve) => {
          release = () => resolve({ notification: n, outcomes: [], ok: true });
        }),
    };
    const cfgPath = join(ws.root, 'quality-gates-config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { environments: Record<string, { notifications?: Record<string, unknown> }> };
    cfg.environments.staging!.notifications = { ...(cfg.environments.staging!.notifications ?? {}), rollback_wait_ms: 50 };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier: stuck, target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(out.ok).toBe(true);
    expect(out.stages.find((s) => s.name === 'notify')!.detail).toMatch(/still running after 50 ms/);
    release?.();
  });

  it('health that never comes back after the restore is a failure (exit 1): files stay restored, the incident says so', async () => {
    healthy = false;
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20, healthTimeoutMs: 400 });
    expect(out.ok).toBe(false);
    expect(out.exitCode).toBe(1);
    expect(out.error).toMatch(/^ROLLBACK FAILED: staging runs 1\.0\.0, but staging did not pass 3 consecutive health checks within 0.4 s after the rollback \(last: HTTP 503/);
    expect(out.stages.find((s) => s.name === 'health')!.status).toBe('failed');
    expect(out.stages.find((s) => s.name === 'smoke')).toBeUndefined();
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
    const inc = JSON.parse(readFileSync(join(ws.root, 'incidents', out.incidentId!, 'incident.json'), 'utf8')) as Record<string, unknown>;
    expect(inc).toMatchObject({ rollback_ok: false, trigger: { kind: 'manual' } });
  });

  /**
   * A crafted backup put in place of the real one (with a valid .sha256) when stage `at` reaches
   * `status` (by default, when rollback-start goes out): its manifest promises one content, its
   * entry holds another (the entry's CRC is right for what it holds). Returns the stages seen and
   * the onStage hook that swaps it in (and swap, to swap it in from elsewhere).
   */
  async function craftedAt(at = 'notify', status = 'running'): Promise<{ seen: RollbackStage[]; onStage: (st: RollbackStage) => void; swap: () => void }> {
    const backups = join(ws.root, 'backups');
    const zip = join(backups, readdirSync(backups).find((f) => f.endsWith('.zip'))!);
    const base = 'deployments/staging/releases';
    const manifest = manifestFor('staging', [{ name: `${base}/1.0.0/release.json`, data: '{"version":"1.0.0"}' }], [base]);
    const tmp = `${zip}.crafted`;
    await craftZip(tmp, [{ name: `${base}/`, dir: true }, { name: `${base}/1.0.0/`, dir: true }, { name: `${base}/1.0.0/release.json`, data: '{"version":"6.6.6"}' }], manifest);
    const seen: RollbackStage[] = [];
    const swap = (): void => {
      renameSync(tmp, zip);
      writeValidChecksum(ws.root, zip);
    };
    const onStage = (st: RollbackStage): void => {
      seen.push(st);
      if (st.name === at && st.status === status) swap();
    };
    return { seen, onStage, swap };
  }

  it('the backup verified by the no-op check is verified again when it was replaced since: a crafted archive with a valid .sha256 and a tampered entry is refused (exit 3) before anything is archived or written', async () => {
    // Swapped in when rollback-start goes out: after the no-op check verified the real backup,
    // before the verify stage (rollback-start is sent beside verify, so its send is no hook for this).
    const { seen, onStage } = await craftedAt();
    await expect(rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20, onStage })).rejects.toThrow(RefusedError);
    // Refused at verify, so nothing was archived, restored or restarted.
    expect(seen.filter((st) => st.name === 'verify').at(-1)?.status).toBe('failed');
    expect(seen.some((st) => st.name === 'archive' || st.name === 'restore')).toBe(false);
    expect(existsSync(join(ws.root, 'rollbacks'))).toBe(false);
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.1.0');
    expect(restarts).toBe(0);
  });

  it('the backup verified early (beside the read of what runs) is verified again at the verify stage when it was replaced since, with no no-op check in between', async () => {
    served = undefined; // nothing answers: no no-op check, so the verify stage takes the early verification
    const { seen, onStage } = await craftedAt();
    await expect(rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20, onStage })).rejects.toThrow(RefusedError);
    expect(seen.filter((st) => st.name === 'verify').at(-1)?.status).toBe('failed');
    expect(seen.some((st) => st.name === 'archive' || st.name === 'restore')).toBe(false);
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.1.0');
    expect(restarts).toBe(0);
  });

  /** fileTarget whose first read of what runs swaps the crafted backup in: the early verification has stat-ed the newest backup by then, and reads it after. */
  function swappingTarget(swap: () => void): { target: Target; swapped: () => boolean } {
    const base = fileTarget(ws.root);
    let done = false;
    const running: Target['running'] = async () => {
      if (!done) {
        done = true;
        swap();
      }
      return base.running();
    };
    return { target: { ...base, running }, swapped: () => done };
  }

  it('a backup replaced while the early verification runs is refused, nothing archived or restarted', async () => {
    const { seen, onStage, swap } = await craftedAt('none');
    const { target, swapped } = swappingTarget(swap);
    await expect(rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target, healthIntervalMs: 20, onStage })).rejects.toThrow(RefusedError);
    expect(swapped()).toBe(true);
    expect(seen.filter((st) => st.name === 'verify').at(-1)).toMatchObject({ status: 'failed' });
    expect(seen.some((st) => st.name === 'archive' || st.name === 'restore')).toBe(false);
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.1.0');
    expect(restarts).toBe(0);
  });

  it('with an older backup kept, the newest replaced during the early verification is skipped and the older, genuine one restored (its own identity pinned)', async () => {
    const backups = join(ws.root, 'backups');
    const newest = readdirSync(backups).find((f) => f.endsWith('.zip'))!;
    const { onStage, swap } = await craftedAt('none'); // (for the newest: the only backup yet)
    const older = newest.replace(/_(\d{8})_(\d{6})\.zip$/, '_20000101_000000.zip');
    execFileSync('cp', [join(backups, newest), join(backups, older)]);
    writeValidChecksum(ws.root, join(backups, older));
    const { target, swapped } = swappingTarget(swap);
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target, healthIntervalMs: 20, onStage });
    expect(swapped()).toBe(true);
    expect(out.ok).toBe(true);
    expect(out.backup).toBe(`backups/${older}`);
    const log = readFileSync(join(ws.root, out.logFile!), 'utf8');
    expect(log).toMatch(new RegExp(`"event":"rollback.backup_skipped".*"backup":"backups/${newest}"`));
    // The genuine release, not the crafted entry's content.
    expect(readFileSync(join(ws.root, 'deployments/staging/releases/1.0.0/release.json'), 'utf8')).not.toContain('6.6.6');
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
  });

  it('rollback-start goes out beside verify, the archive and the staging, and the first file is swapped in only after it', async () => {
    setWaitMs(20_000);
    const seen: RollbackStage[] = [];
    let restoreRunning: (() => void) | undefined;
    const restoreStarted = new Promise<void>((r) => (restoreRunning = r));
    const atSend: string[] = [];
    // Answers only once the restore stage runs: a rollback that waited for it before archiving
    // would sit out the whole 20 s wait and report the send as still running.
    const slow: Notifier = {
      async send(n) {
        if (n.type === 'rollback-start') {
          await restoreStarted;
          await new Promise((r) => setTimeout(r, 50));
          atSend.push(readlinkSync(join(ws.root, 'deployments/staging/current')));
        }
        return { notification: n, outcomes: [{ channel: 'fallback', status: 'delivered', attempts: 1 }], ok: true };
      },
    };
    const onStage = (st: RollbackStage): void => {
      seen.push(st);
      if (st.name === 'restore' && st.status === 'running') restoreRunning?.();
    };
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier: slow, target: fileTarget(ws.root), healthIntervalMs: 20, onStage });
    expect(out.ok).toBe(true);
    const at = (name: string, status: string): number => seen.findIndex((x) => x.name === name && x.status === status);
    expect(at('archive', 'ok')).toBeLessThan(at('notify', 'ok'));
    expect(out.stages.find((x) => x.name === 'notify')!.detail).not.toMatch(/still running/);
    // Nothing was swapped in while rollback-start was on its way, though the files were staged.
    expect(atSend).toEqual(['releases/1.1.0']);
    expect(at('notify', 'ok')).toBeLessThan(at('restore', 'ok'));
    expect(out.notified!.map((x) => x.stage)).toEqual(['notify', 'notify-done']);
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
  });

  it('a notifier that fails does not stop or hold up the rollback, and the secret in its error reaches no log', async () => {
    const secret = 'sk-rollback-test-7f3a9c1e55';
    process.env.ROLLBACK_TEST_API_TOKEN = secret;
    try {
      const failing: Notifier = { send: async () => Promise.reject(new Error(`POST https://hooks.example.test/x?token=${secret} refused with ${secret}`)) };
      const out = await rollback(ctx(), { force: false, dryRun: false, notifier: failing, target: fileTarget(ws.root), healthIntervalMs: 20 });
      expect(out.ok).toBe(true);
      expect(out.exitCode).toBe(0);
      expect(out.stages.find((x) => x.name === 'notify')).toMatchObject({ status: 'ok' });
      // A failed send reaches nobody, and says so.
      expect(out.stages.find((x) => x.name === 'notify')!.detail).toMatch(/^NOBODY NOTIFIED/);
      expect(out.notified![0]).toMatchObject({ stage: 'notify', nobody: true, pending: false });
      expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
      const logText = readFileSync(join(ws.root, out.logFile!), 'utf8');
      expect(logText).not.toContain(secret);
      expect(JSON.stringify(out)).not.toContain(secret);
    } finally {
      delete process.env.ROLLBACK_TEST_API_TOKEN;
    }
  });

  it('a backup replaced after verify fails its staging while the archive runs: refused (exit 3), nothing swapped or restarted, the staging folders removed', async () => {
    // Verified already: only the staging (beside the archive) reads the replacement.
    const { seen, onStage } = await craftedAt('verify', 'ok');
    const notifier = new RecordingNotifier();
    await expect(rollback(ctx(), { force: false, dryRun: false, notifier, target: fileTarget(ws.root), healthIntervalMs: 20, onStage })).rejects.toThrow(RefusedError);
    const last = (name: string): string | undefined => seen.filter((x) => x.name === name).at(-1)?.status;
    expect([last('verify'), last('archive'), last('restore'), last('restart')]).toEqual(['ok', 'ok', 'failed', undefined]);
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.1.0');
    expect(restarts).toBe(0);
    expect(leftovers(ws.root)).toEqual([]);
    expect(existsSync(join(ws.root, '.rollout/rollback/staging.journal.json'))).toBe(false);
    expect(readdirSync(join(ws.root, 'rollbacks')).filter((f) => f.startsWith('pre_rollback_'))).toHaveLength(1);
    expect(notifier.sent.map((n) => n.type)).toEqual(['rollback-start', 'rollback-failure']);
  });

  it('an archive that fails while the files are being staged stops before anything is swapped, and the staging folders are removed', async () => {
    // The temp archive's name is fixed by the second and this process's pid: a folder in its place
    // for the next minute makes tar's open fail (EISDIR) while the staging runs beside it.
    const dir = join(ws.root, 'rollbacks');
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    for (let i = 0; i < 60; i++) mkdirSync(join(dir, `.pre_rollback_staging_${fileStamp(now + i * 1000)}.tar.gz.${process.pid}.tmp`), { recursive: true });
    const seen: RollbackStage[] = [];
    const notifier = new RecordingNotifier();
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier, target: fileTarget(ws.root), healthIntervalMs: 20, onStage: (st) => seen.push(st) });
    expect(out.ok).toBe(false);
    expect(out.exitCode).toBe(1);
    expect(out.stages.map((x) => `${x.name}:${x.status}`)).toEqual(['notify:ok', 'verify:ok', 'archive:failed', 'incident:skipped', 'notify-done:ok']);
    expect(out.error).toMatch(/archive the current state of staging/i);
    expect(seen.some((x) => x.name === 'restore')).toBe(false);
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.1.0');
    expect(restarts).toBe(0);
    expect(leftovers(ws.root)).toEqual([]);
    expect(existsSync(join(ws.root, '.rollout/rollback/staging.journal.json'))).toBe(false);
    expect(notifier.sent.map((n) => n.type)).toEqual(['rollback-start', 'rollback-failure']);
  });

  it('production without force is refused before anything happens', async () => {
    await expect(rollback(ctx('production'), { force: false, dryRun: false, target: fileTarget(ws.root) })).rejects.toThrow(RefusedError);
    expect(readdirSync(join(ws.root, 'logs')).filter((f) => f.startsWith('rollback_'))).toEqual([]);
    expect(existsSync(join(ws.root, 'rollbacks'))).toBe(false);
  });
});

/** Whether `chattr +i` works here (root on ext4/xfs/btrfs): a file even root cannot delete. */
function canPin(): boolean {
  const d = mkdtempSync(join(tmpdir(), 'rollout-pin-'));
  try {
    writeFileSync(join(d, 'f'), '');
    execFileSync('chattr', ['+i', join(d, 'f')], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', join(d, 'f')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

describe.skipIf(!canPin())('rollback() when the old files set aside cannot be deleted (chattr +i)', () => {
  // Unpinned wherever the file went (set aside, or still there), so that the workspace can be removed.
  afterEach(() => void execFileSync('sh', ['-c', 'find "$1" -type f -exec chattr -i {} + 2>/dev/null; true', 'sh', join(ws.root, 'deployments')]));

  it('still rolls back and says so (read from the target), names what it left, and does not block the next rollback', async () => {
    const stuck = join(ws.root, 'deployments/staging/releases/1.1.0/app/main.js');
    execFileSync('chattr', ['+i', stuck]);
    const out = await rollback(ctx(), { force: false, dryRun: false, notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(out.ok).toBe(true);
    expect(out.exitCode).toBe(0);
    expect(out.runningVersion).toBe('1.0.0');
    expect(readlinkSync(join(ws.root, 'deployments/staging/current'))).toBe('releases/1.0.0');
    // What could not be removed is named, with the cause, for the operator to remove by hand.
    expect(out.recovered).toMatch(/could not remove deployments\/staging\/\.releases\.rollback-\S+\.old \(E[A-Z]+: .*\); remove it by hand\.$/);
    const left = readdirSync(join(ws.root, 'deployments/staging')).filter((n) => n.includes('.rollback-'));
    expect(left).toHaveLength(1);
    // The next rollback is not held up by it (its journal was settled, not left for every later run to trip on).
    const again = await rollback(ctx(), { force: false, dryRun: false, again: true, notifier: new RecordingNotifier(), target: fileTarget(ws.root), healthIntervalMs: 20 });
    expect(again.ok).toBe(true);
    expect(again.runningVersion).toBe('1.0.0');
  });
});
