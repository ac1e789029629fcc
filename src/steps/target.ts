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
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<ServiceStatus>;
  /** The folders and files that make up the deployed state (what a backup takes in), workspace-relative. */
  stateFiles(): string[];
}
