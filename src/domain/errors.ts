// Typed failures. Every non-zero exit is one of these, mapped to SPEC.md's exit codes by one
// top-level handler (src/cli/handle-error.ts). Anything else is a bug.

/** SPEC.md exit codes. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a one-sentence message for the operator, an exit code, and optional next steps. */
export class RolloutError extends Error {
  readonly exitCode: ExitCode;
  readonly nextSteps: string[];
  constructor(message: string, exitCode: ExitCode, nextSteps: string[] = []) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.nextSteps = nextSteps;
  }
}

/** Bad usage or bad input (flags, config, runbook, arguments): exit 2. */
export class UsageError extends RolloutError {
  constructor(message: string, nextSteps: string[] = []) {
    super(message, ExitCode.usage, nextSteps);
  }
}

/** Invalid configuration file; the message names file, JSON path and line: exit 2. */
export class ConfigError extends UsageError {}

/** Refused for safety (integrity, lock held, confirmation missing): exit 3. */
export class RefusedError extends RolloutError {
  constructor(message: string, nextSteps: string[] = []) {
    super(message, ExitCode.refused, nextSteps);
  }
}

/** A step, smoke test or gate failed: exit 1. */
export class StepFailedError extends RolloutError {
  constructor(message: string, nextSteps: string[] = []) {
    super(message, ExitCode.failed, nextSteps);
  }
}

/** A command failed that the runbook or target named (zx): exit 1, output kept for the log. */
export class ExternalError extends StepFailedError {
  readonly output: string;
  constructor(message: string, output = '', nextSteps: string[] = []) {
    super(message, nextSteps);
    this.output = output;
  }
}

/** The outcome of a step: failures are data, exceptions are for bugs. */
export type StepResult<T = undefined> =
  | { status: 'ok'; value: T; message?: string }
  | { status: 'failed'; message: string; nextSteps?: string[] }
  | { status: 'refused'; message: string; nextSteps?: string[] };

/** Turn a non-ok step result into the matching typed error. */
export function resultToError(r: Exclude<StepResult<unknown>, { status: 'ok' }>): RolloutError {
  return r.status === 'refused' ? new RefusedError(r.message, r.nextSteps) : new StepFailedError(r.message, r.nextSteps);
}
