// Failures as data: every command and use case ends in one Outcome (what happened, one sentence,
// the next steps, the exit code of SPEC.md). A thrown RolloutError becomes one; anything else
// thrown is a bug and becomes a BugError outcome ("internal error, please report").
import { ExitCode, RolloutError } from './errors.js';
import { ioFailure } from './io-errors.js';

/** How a command or use case ended. inconclusive: a monitor window without enough data (exit 4). */
export type OutcomeStatus = 'ok' | 'noop' | 'refused' | 'failed' | 'interrupted' | 'inconclusive';

/** SPEC.md's exit code for each status (a failure may carry 2 for bad input instead of 1). */
export const STATUS_EXIT: Record<OutcomeStatus, number> = { ok: ExitCode.ok, noop: ExitCode.ok, refused: ExitCode.refused, failed: ExitCode.failed, interrupted: ExitCode.failed, inconclusive: 4 };

/** One outcome. `sentence` is for stderr when the status is not ok; the face says the ok ones itself. */
export interface Outcome {
  status: OutcomeStatus;
  /** One clear sentence: what happened and where. */
  sentence?: string;
  nextSteps: string[];
  exitCode: number;
  /** The sentence stands alone on its line (ROLLBACK FAILED), without the "rollout:" prefix. */
  loud?: boolean;
  /** Set for a bug: the thrown value, reported with its stack only under DEBUG. */
  bug?: BugError;
}

/** A thrown value that is not a typed RolloutError: a defect in rollout, not the operator's to fix. */
export class BugError extends Error {
  readonly original: unknown;
  constructor(original: unknown) {
    const e = original instanceof Error ? original : new Error(String(original));
    super(e.message.split('\n')[0] || 'unknown error');
    this.name = 'BugError';
    this.original = original;
    this.stack = e.stack;
  }
}

/** An outcome of `status` with the exit code SPEC.md gives it (or `exitCode` when the caller knows better). */
export function outcome(status: OutcomeStatus, sentence?: string, nextSteps: string[] = [], exitCode: number = STATUS_EXIT[status]): Outcome {
  return { status, ...(sentence !== undefined ? { sentence } : {}), nextSteps, exitCode };
}

/** The outcome of an exit code: with a sentence to say when it is not 0, or bare when the face already said it. */
export function outcomeOfCode(code: number, sentence?: string, nextSteps: string[] = []): Outcome {
  const status: OutcomeStatus = code === 0 ? 'ok' : code === ExitCode.refused ? 'refused' : code === 4 ? 'inconclusive' : 'failed';
  return { status, ...(sentence !== undefined ? { sentence } : {}), nextSteps, exitCode: code };
}

/** What a thrown value means: a typed error's sentence and code, a file-system failure's sentence, or a bug. */
export function outcomeOfError(e: unknown): Outcome {
  if (e instanceof RolloutError) return outcome(e.exitCode === ExitCode.refused ? 'refused' : 'failed', e.message, e.nextSteps, e.exitCode);
  // A file-system failure that no step turned into a sentence is still the operator's to fix, not a bug.
  const io = ioFailure(e, 'finish the command');
  if (io) return outcomeOfError(io);
  const bug = new BugError(e);
  return { status: 'failed', sentence: `internal error, please report: ${bug.message}`, nextSteps: [], exitCode: ExitCode.failed, bug };
}
