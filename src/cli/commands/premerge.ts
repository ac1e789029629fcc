// rollout premerge: pre-merge validation in a temporary copy of the workspace.
import { outcome, outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { runPremerge } from '../../usecases/premerge.js';
import { displayPath } from '../paths.js';
import type { CommandContext } from '../context.js';

/** Run every check, print a line each, write premerge_artifacts/, exit 1 if any failed. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const ws = ctx.workspace;
  ctx.say(`Pre-merge validation in a temporary copy of ${displayPath(ws.root) || '.'} (nothing real changes)…`);
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let summary;
  try {
    summary = await runPremerge(ws, {
      cli: [process.execPath, process.argv[1]!],
      ...(typeof opts.env === 'string' ? { env: opts.env } : {}),
      onCheck: (c) => ctx.say(`  ${c.skipped ? 'SKIP' : c.ok ? 'PASS' : 'FAIL'}  ${c.title}${c.ok ? '' : ` (exit ${c.exitCode ?? '-'}): ${c.detail}`}`),
      signal: ac.signal,
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  ctx.result({ ...summary, artifacts_dir: displayPath(ws.premergeDir) });
  ctx.say(`${summary.ok ? 'PASSED' : 'FAILED'}: artifacts in ${displayPath(ws.premergeDir)}/ (summary.md, summary.json, ${summary.artifacts.length} files)`);
  if (summary.interrupted) return outcome('interrupted', `pre-merge validation was interrupted: the copy's service was stopped and nothing real changed; the checks that ran are in ${displayPath(ws.premergeDir)}/summary.md.`);
  if (!summary.ok) {
    const first = summary.checks.find((c) => !c.ok)!;
    return outcomeOfCode(1, `pre-merge validation failed at "${first.title}" (exit ${first.exitCode ?? '-'}); see ${displayPath(ws.premergeDir)}/summary.md.`);
  }
  return 0;
}
