// The deploy's shapes: its stages' names (lock to journal, in the order the run walks them), the
// options, the events and the result. Shared by the entry point (src/usecases/deploy.ts) and the
// stage list (./stages.ts).
import type { TimedHealthCheck } from '../../probes/health.js';
import type { DeployStep } from '../../steps/deploy-journal.js';
import type { SmokeResult, SmokeRun } from '../../steps/smoke.js';
import type { Notifier } from '../../notify/types.js';
import type { StageStatus } from '../stages.js';

/** The stages of a deploy, in the order a real run (and its dry run) walks them. */
export const DEPLOY_STAGES = ['lock', 'validate', 'backup', 'migrate', 'install', 'restart', 'health', 'smoke', 'journal'] as const;
export type DeployStageName = (typeof DEPLOY_STAGES)[number];

export type SubstepStatus = 'running' | 'ok' | 'failed' | 'skipped';

/** What a deploy reports while it runs. */
export type DeployEvent =
  | { type: 'step'; step: DeployStep; status: SubstepStatus; detail?: string }
  | { type: 'line'; line: string }
  | { type: 'health'; check: TimedHealthCheck; streak: number; needed: number }
  | { type: 'smoke'; result: SmokeResult }
  | { type: 'notice'; message: string; nextSteps: string[] }
  /** Every stage of the list (lock and journal included), as the dry run plans it and the real run walks it. */
  | { type: 'stage'; stage: DeployStageName; status: StageStatus; detail?: string };

/** Options of one deploy. */
export interface DeployOptions {
  version?: string;
  backupFirst?: boolean;
  dryRun?: boolean;
  /** The operator confirmed (--yes, or typed the environment name); production needs it. */
  confirmed?: boolean;
  /** Apply pending forward migrations (default true; a runbook with its own migrate step passes false). */
  migrate?: boolean;
  onEvent?: (e: DeployEvent) => void;
  /** The same events in the runner's StepIO shape. */
  onLine?: (line: string) => void;
  onSubstep?: (name: string, status: SubstepStatus, detail?: string) => void;
  signal?: AbortSignal;
  /** The command line recorded as the lock's holder. */
  command?: string;
  /** The notifier for deploy-start/-success/-failure (default: the environment's, as the monitor's). */
  notifier?: Notifier;
  /**
   * Finish the interrupted deploy of the journal (`rollout deploy --resume`, a walk's --resume):
   * steps it finished are not repeated, a restart whose effect the target cannot prove runs again,
   * then the health checks and smoke tests to a verified end. A deploy interrupted before its
   * release was in place is deployed again from the start.
   */
  resume?: boolean;
}

/** One step's outcome. */
export interface DeployStepResult {
  step: DeployStep;
  status: SubstepStatus;
  detail?: string;
  ms: number;
}

/** What a deploy did (or, in dry-run, planned). */
export interface DeployResult {
  ok: boolean;
  env: string;
  version: string;
  from?: string;
  dryRun: boolean;
  steps: DeployStepResult[];
  plan?: string[];
  logPath: string;
  dryRunLog?: string;
  health?: TimedHealthCheck[];
  smoke?: SmokeRun;
  backup?: { file: string; sha256?: string };
  migrations?: string[];
  interrupted?: { message: string; nextSteps: string[] };
  /** Milliseconds from the start of the deploy to the last of the consecutive OK health checks. */
  healthyAfterMs?: number;
  /** When the restart began (clock ms): nothing the old release did is newer than this. */
  restartedAt?: number;
  /** What --resume did with the interrupted deploy (one sentence). */
  resumed?: string;
  url?: string;
}

