// The one mapper from an Outcome to SPEC.md's exit code and stderr, used for every command: what a
// command returns and what it throws both end here. A typed error is one sentence (and its next
// steps); anything else is a bug: "internal error, please report", the stack only with DEBUG.
import { outcomeOfError, type Outcome } from '../domain/outcome.js';
import { escapeControl, terminalSafe } from '../domain/terminal-text.js';
import { redactString } from '../audit/redact.js';

/** Say a non-ok outcome on stderr (and, with --json when the command printed no result, as one object); return the exit code. */
export function reportOutcome(o: Outcome, opts: { json: boolean; resulted?: boolean }): number {
  if (o.status === 'ok' || o.status === 'noop' || o.sentence === undefined) return o.exitCode;
  const msg = redactString(o.sentence);
  const next = o.nextSteps.map((s) => redactString(s));
  if (opts.json && !opts.resulted) process.stdout.write(`${JSON.stringify({ ok: false, exit_code: o.exitCode, error: msg, ...(o.bug ? {} : { next_steps: next }) })}\n`);
  if (o.bug) {
    process.stderr.write(terminalSafe(`rollout: ${escapeControl(msg)}${process.env.DEBUG ? '' : ' (set DEBUG=1 for the stack trace)'}.\n`));
    if (process.env.DEBUG && o.bug.stack) process.stderr.write(terminalSafe(`${redactString(o.bug.stack)}\n`));
    return o.exitCode;
  }
  process.stderr.write(o.loud ? `${escapeControl(msg)}\n` : `rollout: ${escapeControl(msg)}\n`);
  for (const step of next) process.stderr.write(`  next: ${escapeControl(step)}\n`);
  return o.exitCode;
}

/** Report a thrown value through the same mapper and return the exit code to use. */
export function handleError(e: unknown, json: boolean): number {
  return reportOutcome(outcomeOfError(e), { json });
}

/**
 * Last resort of a process's start (start.ts, hot.ts): a rejection nobody awaited (a stream
 * failing on a full disk) ends the command with the one sentence and exit code of handleError,
 * never Node's raw stack.
 */
export function endOnUnhandled(): void {
  const last = (e: unknown): void => {
    process.exitCode = handleError(e, process.argv.includes('--json'));
    process.exit();
  };
  process.on('unhandledRejection', last);
  process.on('uncaughtException', last);
}
