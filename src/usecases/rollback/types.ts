// The rollback's shapes: its stages' names (SPEC.md's order), the options and the outcome.
// Shared by the entry point (src/usecases/rollback.ts) and the stage list (./stages.ts).
import type { Notifier } from '../../notify/types.js';
import type { TimedHealthCheck } from '../../probes/health.js';
import type { SmokeRun } from '../../steps/smoke.js';
import type { RunningInstance, Target } from '../../targets/contract.js';
import type { ExitCode as ExitCodeT } from '../../domain/errors.js';

/** The stages of a rollback, in SPEC.md's order. */
export const ROLLBACK_STAGES = ['notify', 'verify', 'archive', 'restore', 'restart', 'version', 'health', 'smoke', 'incident', 'notify-done'] as const;
export type RollbackStageName = (typeof ROLLBACK_STAGES)[number];

/** One stage as reported to onStage and kept in the outcome. */
export interface RollbackStage {
  name: RollbackStageName;
  status: 'running' | 'ok' | 'failed' | 'skipped' | 'planned';
  detail: string;
  at: number;
}

/** Why a rollback runs when the monitor starts it. */
export interface RollbackReason {
  gate: string;
  value: number | null;
  threshold: number;
  unit: string;
  /** The window the gate judged over (0: its latest reading), so messages name it rightly. */
  windowMinutes?: number;
}

/** Options of rollback(). */
export interface RollbackOptions {
  /** A backup path (absolute, or relative to the current folder or the workspace); default: the newest that verifies. */
  backup?: string;
  /** Confirms a production rollback without a terminal (SPEC.md production safety). */
  force: boolean;
  dryRun: boolean;
  reason?: RollbackReason;
  onStage?: (stage: RollbackStage) => void;
  /** The notifier to use (default: one built from the environment's notification settings). */
  notifier?: Notifier;
  /** The target (default: makeTarget(ctx)). */
  target?: Target;
  /** For the lock's holder record. */
  command?: string;
  /** Health polling (defaults: every 250 ms, timeout from the runbook's target or 30 s). */
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Journals of the rollout being rolled back (e.g. the monitor's), copied into the incident. */
  relatedLogs?: string[];
  /** When the breach was detected (default: when the rollback started); MTTR counts from it. */
  detectedAt?: number;
  /** Restore and restart even when the target already runs the backup's version and is healthy. */
  again?: boolean;
  /** Finishing an auto-rollback that a killed monitor left unverified (monitor --resume). */
  resume?: {
    /** The incident the interrupted run opened: updated, never a second one. */
    incidentId?: string;
    /** What ran before the interrupted run changed anything (from the monitor's journal). */
    before?: RunningInstance;
    /** The interrupted run sent rollback-start already. */
    startNotified?: boolean;
  };
}

/** What a rollback did. */
export interface RollbackOutcome {
  ok: boolean;
  dryRun: boolean;
  /** Exit code for the CLI: 0, 1 (restart, health or smoke failed) or 3 (refused). */
  exitCode: ExitCodeT;
  /** Workspace-relative backup that was (or would be) restored. */
  backup: string | null;
  /** The backup's version: what must run afterwards. */
  version: string | null;
  previousVersion: string | null;
  /** What the target said runs at the end (read from the target, never assumed). */
  runningVersion: string | null;
  /** Nothing to do: the target already ran the backup's version and was healthy. */
  noop?: boolean;
  /** The environment was changed but the rollback did not verify (ROLLBACK FAILED). */
  failed?: boolean;
  /** The one sentence of a no-op. */
  message?: string;
  incidentId: string | null;
  stages: RollbackStage[];
  healthChecks: TimedHealthCheck[];
  smoke: SmokeRun | null;
  preRollback: string | null;
  logFile: string | null;
  dryRunLog?: string;
  /** What recovering an interrupted earlier rollback did. */
  recovered?: string;
  /** The one sentence on failure. */
  error?: string;
  durationMs: number;
  /** Who each notification reached (nobody: only the fallback file, or nothing). */
  notified?: { stage: 'notify' | 'notify-done'; channels: string[]; nobody: boolean; pending: boolean }[];
}
