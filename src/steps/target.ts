// What the engine needs of a deploy target, whatever its kind: the embedded local service or a
// real installation driven by runbook commands. Implemented in src/steps/target-local.ts and
// src/steps/target-command.ts; chosen by makeTarget() from the runbook's target.kind.

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
  /** Put a version in place (not yet serving until restart()). */
  install(version: string, onLine?: (line: string) => void): Promise<void>;
  /** Stop the running service (if any) and start the installed one. */
  restart(onLine?: (line: string) => void): Promise<void>;
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
