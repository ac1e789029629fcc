// The one mapper from an Outcome to exit code and stderr: typed errors keep SPEC.md's codes and
// their sentence, a thrown non-RolloutError is a bug ("internal error, please report"), stack only
// with DEBUG, and --json gets one error object only when the command printed no result.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handleError, reportOutcome } from '../../src/cli/handle-error.js';
import { ConfigError, RefusedError, StepFailedError, UsageError } from '../../src/domain/errors.js';
import { BugError, outcome, outcomeOfCode, outcomeOfError } from '../../src/domain/outcome.js';

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.DEBUG;
});

describe('outcome -> exit code and stderr', () => {
  it('keeps the exit codes of SPEC.md for every typed error, with the sentence and next steps', () => {
    expect(handleError(new StepFailedError('Smoke test golden-hash failed.', ['Look at logs/x.log']), false)).toBe(1);
    expect(err.join('')).toBe('rollout: Smoke test golden-hash failed.\n  next: Look at logs/x.log\n');
    expect(handleError(new UsageError('Missing --env.'), false)).toBe(2);
    expect(handleError(new ConfigError('quality-gates-config.json: line 3: bad.'), false)).toBe(2);
    expect(handleError(new RefusedError('The lock is held.'), false)).toBe(3);
    expect(out).toEqual([]);
  });

  it('maps statuses to codes: ok/noop 0, failed and interrupted 1, refused 3, inconclusive 4', () => {
    expect([outcome('ok'), outcome('noop'), outcome('failed'), outcome('interrupted'), outcome('refused'), outcome('inconclusive')].map((o) => o.exitCode)).toEqual([0, 0, 1, 1, 3, 4]);
    expect(outcomeOfCode(4).status).toBe('inconclusive');
    expect(outcomeOfError(new UsageError('x')).exitCode).toBe(2);
    expect(reportOutcome(outcome('ok', 'all good'), { json: false })).toBe(0);
    expect(err).toEqual([]);
  });

  it('reports anything else as a bug: one sentence asking for a report, the stack only with DEBUG', () => {
    const boom = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(handleError(boom, false)).toBe(1);
    expect(err.join('')).toBe("rollout: internal error, please report: Cannot read properties of undefined (reading 'x') (set DEBUG=1 for the stack trace).\n");
    expect(err.join('')).not.toMatch(/\n\s+at /);
    expect(outcomeOfError(boom).bug).toBeInstanceOf(BugError);
    err.length = 0;
    process.env.DEBUG = '1';
    handleError(boom, false);
    expect(err[0]).toBe("rollout: internal error, please report: Cannot read properties of undefined (reading 'x').\n");
    expect(err[1]).toMatch(/^TypeError: Cannot read properties[\s\S]*\n\s+at /);
  });

  it('a thrown string or a file-system error is handled too (the latter is the operator\'s, not a bug)', () => {
    expect(handleError('just a string', false)).toBe(1);
    expect(err.pop()).toMatch(/^rollout: internal error, please report: just a string/);
    const eacces = Object.assign(new Error('EACCES: permission denied, open \'/x/backups/a.zip\''), { code: 'EACCES', path: '/x/backups/a.zip' });
    expect(handleError(eacces, false)).toBe(1);
    expect(err.join('')).not.toMatch(/internal error/);
  });

  it('with --json: one error object when the command printed none, nothing more when it did', () => {
    expect(handleError(new RefusedError('Refused.', ['Wait.']), true)).toBe(3);
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([{ ok: false, exit_code: 3, error: 'Refused.', next_steps: ['Wait.'] }]);
    out.length = 0;
    expect(reportOutcome(outcomeOfCode(1, '2 of 5 smoke tests failed in staging: a, b.'), { json: true, resulted: true })).toBe(1);
    expect(out).toEqual([]);
    expect(err.pop()).toBe('rollout: 2 of 5 smoke tests failed in staging: a, b.\n');
  });

  it('a loud outcome (ROLLBACK FAILED) stands alone on its line; secrets are redacted', () => {
    reportOutcome({ ...outcomeOfCode(1, 'ROLLBACK FAILED: staging still runs 1.1.0'), loud: true }, { json: false });
    expect(err.pop()).toBe('ROLLBACK FAILED: staging still runs 1.1.0\n');
    reportOutcome(outcomeOfCode(1, 'webhook https://hooks.slack.com/services/T000/B000/SECRETsecret123 failed'), { json: false });
    expect(err.pop()).not.toContain('SECRETsecret123');
  });
});
