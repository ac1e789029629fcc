// What the runbook runner needs of the engines (backup, verify, migrate, deploy, smoke, monitor,
// rollback, notify), as one small interface. The runner and both faces (TUI, `rollout run`) are
// written against it; src/usecases/runner-wiring.ts fills it with the engines' own functions, and
// tests fill it with fakes. No step logic lives here: only shapes.
import type { EngineContext } from '../config/engine-context.js';

/** Bytes done (and the total when known) of a long step. */
export interface Progress {
  done: number;
  total?: number;
  /** What is being worked on (a file name, a phase). */
  label?: string;
}

/** The callbacks every engine call gets, so a screen can show it live. */
export interface StepIO {
  onLine: (line: string) => void;
  onProgress: (p: Progress) => void;
  onSubstep: (name: string, status: SubstepStatus, detail?: string) => void;
  signal: AbortSignal;
}
export type SubstepStatus = 'running' | 'ok' | 'failed' | 'skipped';

/** A backup as the runner shows and records it. */
export interface BackupInfo {
  /** Workspace-relative path of the zip. */
  path: string;
  sha256: string;
  bytes: number;
  verified: boolean;
  /** One sentence: how it was verified, or why it failed. */
  detail?: string;
}

/** One smoke check's row in the result table. */
export interface SmokeRow {
  id: string;
  tier: string;
  ok: boolean;
  detail: string;
  ms?: number;
}

/** What a step's engine reports back; failures are thrown as RolloutErrors. */
export interface EngineOutcome {
  summary: string;
  /** A failed outcome that is not an exception (smoke checks that failed, a monitor that rolled back). */
  failed?: boolean;
  backup?: BackupInfo;
  smoke?: SmokeRow[];
  version?: string;
  incidentId?: string;
  logPath?: string;
  /** Lines worth keeping on screen with the finished step (a training debrief). */
  report?: string[];
}

/**
 * A live monitor (or rollback) that a screen can attach to. Kept opaque here: the monitor screen
 * knows the monitor service's own event types; the runner only hands the handle over.
 */
export type LiveSession = { kind: 'monitor' | 'rollback'; handle: unknown };

/** The engines, as the runner calls them. */
export interface RunnerEngines {
  /** Versions that can be deployed to the environment (for the TUI's release choice). */
  availableVersions(ctx: EngineContext): Promise<string[]>;
  /** The version deployed now, if any. */
  currentVersion(ctx: EngineContext): Promise<string | undefined>;
  /** The newest backup of the environment (not verified), if any. */
  latestBackup(ctx: EngineContext): BackupInfo | undefined;
  createBackup(ctx: EngineContext, o: { dryRun: boolean } & StepIO): Promise<EngineOutcome>;
  /** Verify a backup (default: the newest); a failed verification throws a RefusedError. */
  verifyBackup(ctx: EngineContext, o: { path?: string } & StepIO): Promise<EngineOutcome>;
  migrate(ctx: EngineContext, o: { direction: 'forward' | 'backward'; dryRun: boolean } & StepIO): Promise<EngineOutcome>;
  /** `resume`: the walk was interrupted in this step; an interrupted deploy of this version is finished, not started again. */
  deploy(ctx: EngineContext, o: { version: string; dryRun: boolean; resume?: boolean } & StepIO): Promise<EngineOutcome>;
  smoke(ctx: EngineContext, o: { tier: 'critical' | 'standard' | 'all'; phase: 'pre-deploy' | 'post-deploy' | 'post-rollback'; dryRun: boolean } & StepIO): Promise<EngineOutcome>;
  /**
   * Run the T+60 monitor; `onSession` gets the live handle as soon as it exists. `resumeSince`
   * (ms): the walk, started then, was interrupted in this step; the window it began is resumed
   * from its journal (an interrupted rollback finished), not started again.
   */
  monitor(ctx: EngineContext, o: { dryRun: boolean; version?: string; resumeSince?: number; onSession: (s: LiveSession) => void } & StepIO): Promise<EngineOutcome>;
  rollback(ctx: EngineContext, o: { dryRun: boolean; reason: string; backup?: string; onSession: (s: LiveSession) => void } & StepIO): Promise<EngineOutcome>;
  notify(ctx: EngineContext, o: { type: string; message: string; dryRun: boolean }): Promise<EngineOutcome>;
}

/** The engines that load their code on first use (all but latestBackup, which is synchronous). */
const LAZY = ['availableVersions', 'currentVersion', 'createBackup', 'verifyBackup', 'migrate', 'deploy', 'smoke', 'monitor', 'rollback', 'notify'] as const satisfies readonly (keyof RunnerEngines)[];

/**
 * Engines whose module loads on first use, so that the TUI's first frame does not wait for the
 * deploy, backup, rollback and monitor code (the TUI warms them up right after it has drawn).
 */
export function lazyEngines(load: () => Promise<RunnerEngines>, latestBackup: RunnerEngines['latestBackup']): RunnerEngines {
  let p: Promise<RunnerEngines> | undefined;
  const get = (): Promise<RunnerEngines> => (p ??= load());
  // Each method forwards its arguments unchanged once the module is there; the cast only erases
  // the per-method signatures that LAZY's names already tie to RunnerEngines.
  const lazy = Object.fromEntries(LAZY.map((name) => [name, async (...a: unknown[]) => ((await get())[name] as (...x: unknown[]) => Promise<unknown>)(...a)]));
  return { ...(lazy as unknown as Omit<RunnerEngines, 'latestBackup'>), latestBackup };
}
