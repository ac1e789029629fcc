// What the engine needs of a deploy target, whatever its kind: the embedded local service or a
// real installation driven by runbook commands. Implemented in src/targets/local.ts and
// src/targets/command.ts; chosen by makeTarget() from the runbook's target.kind.

/** The state of an environment's service as seen by `rollout service status`. */
export interface ServiceStatus {
  running: boolean;
  version?: string;
  pid?: number;
  url?: string;
  health?: { ok: boolean; detail: string };
  /** The version the target has in place (what a restart would run), when it differs or nothing runs. */
  deployedVersion?: string;
  /** Anything the operator should know (a stale pid file, a foreign process on the port, ...). */
  note?: string;
}

/**
 * What runs now, as the target itself says (the service's /version, the current_version command):
 * never the workspace's own records. The identity fields tell one running instance from the next.
 */
export interface RunningInstance {
  version: string;
  pid?: number;
  startedAt?: string;
  revision?: string;
  /** Anything else the target printed after the version (a command target's identity text). */
  identity?: string;
}

/** One running instance's identity as one comparable string, or undefined when the target gives none. */
export function instanceKey(i: RunningInstance | undefined): string | undefined {
  if (!i) return undefined;
  const parts = [i.pid, i.startedAt, i.revision, i.identity].map((x) => (x === undefined ? '' : String(x)));
  return parts.some(Boolean) ? parts.join('|') : undefined;
}

/** One instance in words: "1.0.0 (pid 123, started 2026-…)". */
export function describeInstance(i: RunningInstance): string {
  const bits = [i.pid !== undefined ? `pid ${i.pid}` : '', i.startedAt ? `started ${i.startedAt}` : '', i.revision ? `revision ${i.revision}` : '', i.identity ?? ''].filter(Boolean);
  return bits.length ? `${i.version} (${bits.join(', ')})` : i.version;
}

/** The versions and backup a rollback command is told about ({version}, {from_version}, {backup}). */
export interface RollbackTemplate {
  version: string;
  fromVersion?: string;
  backup: string;
}

/** One command or action a deploy would run, for dry-run plans. */
export interface PlannedAction {
  step: string;
  action: string;
}

/** One deploy target. All methods honour timeouts and report failures as thrown RolloutErrors. */
export interface Target {
  readonly kind: 'local' | 'command';
  /** The versions that can be deployed. */
  availableVersions(): Promise<string[]>;
  /** The version deployed now (undefined when nothing is). */
  currentVersion(): Promise<string | undefined>;
  /** What runs now, read from the target itself (undefined when nothing answers). */
  running(): Promise<RunningInstance | undefined>;
  /**
   * Bring a version back after its backup's files were restored: the command target's `rollback`
   * command; targets without one restart (the restored files are what runs next).
   */
  rollbackTo(t: RollbackTemplate, onLine?: (line: string) => void): Promise<void>;
  /** Put a version in place (not yet serving until restart()); `fromVersion` (what runs now) fills {from_version}. */
  install(version: string, onLine?: (line: string) => void, fromVersion?: string): Promise<void>;
  /** Stop the running service (if any) and start the installed one (`version`: what was installed, for {version}). */
  restart(onLine?: (line: string) => void, version?: string): Promise<void>;
  start(onLine?: (line: string) => void): Promise<void>;
  stop(onLine?: (line: string) => void): Promise<void>;
  status(): Promise<ServiceStatus>;
  /** The folders and files that make up the deployed state (what a backup takes in), workspace-relative. */
  stateFiles(): string[];
  /** What install + restart of a version would do, without doing it (dry-run plans). */
  plan(version: string): PlannedAction[];
  /** Before a deploy changes anything: throws when the target cannot be reached at all. */
  reachable?(): Promise<void>;
  /** Where the service answers (for status and messages). */
  readonly url?: string;
}
