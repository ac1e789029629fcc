// The one top-level handler: typed errors become one sentence on stderr and SPEC.md's exit code;
// anything else is a bug, reported in one sentence, with the stack only when DEBUG is set.
import { ExitCode, RolloutError } from '../domain/errors.js';
import { escapeControl, terminalSafe } from '../domain/terminal-text.js';
import { redactString } from '../audit/redact.js';
import { ioFailure } from '../domain/io-errors.js';

/** Report an error and return the exit code to use. */
export function handleError(e: unknown, json: boolean): number {
  if (e instanceof RolloutError) {
    const msg = redactString(e.message);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, exit_code: e.exitCode, error: msg, next_steps: e.nextSteps.map((s) => redactString(s)) })}\n`);
    process.stderr.write(`rollout: ${escapeControl(msg)}\n`);
    for (const step of e.nextSteps) process.stderr.write(`  next: ${escapeControl(redactString(step))}\n`);
    return e.exitCode;
  }
  // A file-system failure that no step turned into a sentence is still the operator's to fix, not a bug.
  const io = ioFailure(e, 'finish the command');
  if (io) return handleError(io, json);
  const err = e instanceof Error ? e : new Error(String(e));
  const msg = redactString(err.message.split('\n')[0] ?? 'unknown error');
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, exit_code: ExitCode.failed, error: `internal error: ${msg}` })}\n`);
  process.stderr.write(terminalSafe(`rollout: internal error: ${escapeControl(msg)}${process.env.DEBUG ? '' : ' (set DEBUG=1 for the stack trace)'}.\n`));
  if (process.env.DEBUG && err.stack) process.stderr.write(terminalSafe(`${redactString(err.stack)}\n`));
  return ExitCode.failed;
}
