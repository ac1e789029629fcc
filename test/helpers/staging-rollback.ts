// The setup every rollback kill test shares: a temp workspace whose staging environment runs the
// real demo service at 1.0.0 with a verified backup of it, a `rollout` runner for that workspace,
// readers for what the service says runs and for the incidents on disk, and the teardown that
// stops every service the file started (and wakes any process a test froze with SIGSTOP).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { makeWorkspace, readJsonLines, runCli, shortenMonitoring, type CliResult } from './cli.js';
import { alive, getJson, killServices } from '../demo/service-helpers.js';

/** An incident as written by a rollback (the fields the tests read). */
export interface IncidentRecord {
  id: string;
  logs: string[];
  rollback_ok: boolean;
  outcome: string;
  version_before?: string;
  version_after?: string;
  resumed?: boolean;
  trigger: { kind: string; gate?: string };
}

/** What a test file gets from stagingAtBackup(). */
export interface StagingRollback {
  /** The workspace root (valid inside tests, after beforeAll). */
  readonly root: string;
  /** The staging port of the demo service. */
  readonly port: number;
  /** The environment passed to every `rollout` (the operator's name). */
  readonly env: Record<string, string>;
  rollout(...args: string[]): Promise<CliResult>;
  /** What the running service says of itself (/version): read from the target, never from our files. */
  version(): Promise<{ version: string; pid: number }>;
  incidents(): IncidentRecord[];
  /** Newest first is last: the environment's logs of one kind (e.g. 'monitor', 'rollback', 'run'). */
  logs(kind: string): string[];
  /** The JSON Lines of a log in logs/ (torn lines skipped). */
  events(file: string): Record<string, unknown>[];
  /** Pids a test froze with SIGSTOP: woken and stopped at the end. */
  readonly frozen: number[];
}

/**
 * Register beforeAll/afterAll for a file: staging deployed at 1.0.0 (no monitor) and backed up.
 * `monitoring` shortens the staging window so that a gate trips within seconds.
 */
export function stagingAtBackup(o: { operator: string; timeoutMs?: number; monitoring?: { durationMinutes: number; intervalSeconds: number; maxWindowMinutes: number } }): StagingRollback {
  let ws: Awaited<ReturnType<typeof makeWorkspace>> | undefined;
  const env = { ROLLOUT_OPERATOR: o.operator };
  const frozen: number[] = [];
  const root = (): string => {
    if (!ws) throw new Error('stagingAtBackup: the workspace exists only inside tests (after beforeAll)');
    return ws.root;
  };
  const rollout = (...args: string[]): Promise<CliResult> => runCli(args, { cwd: root(), env, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });

  beforeAll(async () => {
    ws = await makeWorkspace();
    if (o.monitoring) shortenMonitoring(ws.root, 'staging', o.monitoring);
    let r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    expect(r.code, r.stderr).toBe(0);
    r = await rollout('backup', '--env', 'staging');
    expect(r.code, r.stderr).toBe(0);
  }, 90_000);

  afterAll(async () => {
    if (!ws) return;
    for (const p of frozen) if (alive(p)) process.kill(p, 'SIGCONT');
    await killServices(ws.root, frozen);
    ws.cleanup();
  });

  const events = (file: string): Record<string, unknown>[] => readJsonLines(join(root(), 'logs', file));

  return {
    get root() {
      return root();
    },
    get port() {
      if (!ws?.ports.staging) throw new Error('stagingAtBackup: no staging port yet');
      return ws.ports.staging;
    },
    env,
    rollout,
    version: async () => (await getJson<{ version: string; pid: number }>(`http://127.0.0.1:${ws!.ports.staging}/version`)).body,
    incidents: () => {
      const dir = join(root(), 'incidents');
      if (!existsSync(dir)) return [];
      return readdirSync(dir).map((d) => JSON.parse(readFileSync(join(dir, d, 'incident.json'), 'utf8')) as IncidentRecord);
    },
    logs: (kind) => {
      const dir = join(root(), 'logs');
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${kind}_staging_`)).sort() : [];
    },
    events,
    frozen,
  };
}
