// The monitor's shapes: its collaborators, options, resume state, events and summary. Shared by
// the loop (./loop.ts), the pure decision step (./decide.ts) and the effects (./effects.ts).
import type { EnvironmentGates, Gate } from '../../config/gates-schema.js';
import type { Clock } from '../../domain/clock.js';
import type { GateAction, GateDecision, GateState, GateStatus, Observation } from '../../gates/types.js';
import type { MetricSource } from '../../metrics/types.js';
import type { Notifier } from '../../notify/types.js';

/** One health check, as the monitor needs it. */
export type HealthChecker = () => Promise<{ ok: boolean; detail: string; latencyMs?: number }>;

/** Why and how a rollback is asked for. */
export interface RollbackRequest {
  trigger: 'auto' | 'manual';
  /** The gate that tripped (auto), or the operator's reason (manual). */
  reason: { gate: string; value: number; threshold: number; unit: string; windowMinutes?: number } | undefined;
  note: string;
  /** The backup the operator confirmed (manual requests); default: the newest that verifies. */
  backup?: string;
  /** Finishing a rollback that a killed monitor started and never verified (--resume). */
  resume?: { startNotified: boolean; before?: ResumeState['rollbackBefore'] };
  onStage: (stage: string, detail?: string) => void;
}

/** What the rollback engine reports back. */
export interface RollbackResult {
  ok: boolean;
  detail: string;
  incidentId?: string;
  backup?: string;
  /** Nothing was changed (training, dry runs). */
  dryRun?: boolean;
  /** The engine already checked health and smoke after restoring: the monitor does not repeat them. */
  verified?: { healthOk: boolean; smokeOk?: boolean; detail: string };
}

/** Runs the rollback engine (backup integrity, restore, incident, notifications). */
export type RollbackRunner = (req: RollbackRequest) => Promise<RollbackResult>;
/** Re-runs the smoke tests after a rollback. */
export type SmokeRunner = () => Promise<{ ok: boolean; detail: string }>;

/** Where journal events go (an AuditLog of kind 'monitor'). */
export interface MonitorJournal {
  readonly path: string;
  write(level: 'info' | 'warn' | 'error', event: string, fields?: Record<string, unknown>): unknown;
}

/** The monitor's collaborators. */
export interface MonitorDeps {
  clock: Clock;
  health: HealthChecker;
  source: MetricSource;
  /** Absent: auto-rollback is unavailable and breaches only alert (said in the journal and on screen). */
  rollback?: RollbackRunner;
  smoke?: SmokeRunner;
  notifier?: Notifier;
  journal: MonitorJournal;
}

/** What a resumed monitor picks up from the journal. */
export interface ResumeState {
  t0: number;
  endAt: number;
  seq: number;
  lastPollAt: number;
  observations: Observation[];
  states: Record<string, GateState>;
  breaches: BreachRecord[];
  /** A rollback was started before the crash: a resumed monitor finishes it (never a second one). */
  rollbackStarted?: { trigger: 'auto' | 'manual'; gate?: string; at: number; reason?: { gate: string; value: number; threshold: number; unit: string }; note?: string; backup?: string };
  rollbackFinished?: { ok: boolean; detail: string };
  /** What ran before that rollback changed anything (journaled by the rollback runner). */
  rollbackBefore?: { version: string; pid?: number; startedAt?: string; revision?: string; identity?: string };
  /** The interrupted rollback had sent its rollback-start notification. */
  rollbackStartNotified?: boolean;
  alerts: number;
  sourceProblems: number;
}

/** How the monitor is set up. */
export interface MonitorOptions {
  env: string;
  gates: EnvironmentGates;
  /** Window length; defaults to the config's duration_minutes. */
  durationMinutes?: number;
  /** Start of the window (default: now). */
  t0?: number;
  resume?: ResumeState;
  /** The release being watched (for notifications and the summary). */
  version?: string;
  operator?: string;
  /** Workspace-relative journal path, for notifications. */
  logPathForHumans?: string;
  /** Pause between post-rollback health checks (ms); default 1 s, capped by the fastest poll. */
  verifyIntervalMs?: number;
  /** Longest wait for the post-rollback health checks (ms); default 60 s. */
  verifyTimeoutMs?: number;
  /** Training: nothing is changed; rollbacks are simulated by the injected runner. */
  dryRun?: boolean;
}

/** One breach, as the summary and the debrief tell it. */
export interface BreachRecord {
  gate: string;
  at: number;
  value: number | null;
  threshold: number;
  unit: string;
  windowMinutes: number;
  action: Gate['action'] | 'source-errors';
  reason: string;
}

/** How a monitor run ended. */
export type MonitorResult = 'passed' | 'breached' | 'rolled-back' | 'rollback-failed' | 'stopped' | 'inconclusive';

/** The end-of-run summary. */
export interface MonitorSummary {
  env: string;
  result: MonitorResult;
  /** 0 passed, 1 a gate breached or the rollback failed, 4 inconclusive (a gate never had enough data). */
  exitCode: 0 | 1 | 4;
  message: string;
  t0: number;
  endAt: number;
  endedAt: number;
  polls: number;
  breaches: BreachRecord[];
  alerts: number;
  sourceProblems: number;
  finalStates: Record<string, GateStatus>;
  /** Inconclusive windows: the gates that never had enough data for a verdict, and why. */
  unjudged?: { gate: string; reason: string }[];
  rollback?: {
    trigger: 'auto' | 'manual';
    gate?: string;
    ok: boolean;
    detail: string;
    incidentId?: string;
    dryRun?: boolean;
    healthOk?: boolean;
    smokeOk?: boolean;
    /** Finished by a resumed monitor. */
    resumed?: boolean;
  };
  logPath: string;
  resumed: boolean;
}

/** Everything a screen shows, as a stream. */
export type MonitorEvent =
  | { type: 'start'; t0: number; endAt: number; resumed: boolean; env: string; source: string; gates: Gate[]; rollbackAvailable: boolean; warnings?: string[]; /** When this run began (a resume is later than t0). */ at?: number }
  | { type: 'sample'; observation: Observation }
  | { type: 'evaluation'; seq: number; t: number; decisions: GateDecision[]; worst: GateStatus }
  | { type: 'gate-state'; gate: string; from: GateStatus; to: GateStatus; decision: GateDecision }
  | { type: 'cadence'; phase: number; intervalSeconds: number; adaptive: boolean }
  | { type: 'next-poll'; at: number; inMs: number }
  | { type: 'alert'; gate: string; cause: GateAction['cause']; message: string }
  | { type: 'rollback'; stage: string; detail?: string }
  | { type: 'extend'; endAt: number; minutes: number }
  | { type: 'done'; summary: MonitorSummary };

/** A subscriber to the monitor's events. */
export type Listener = (e: MonitorEvent) => void;
