// rollout replay --env E [--since DATE] [--candidate FILE] [--json]: what a candidate config would
// have decided on every recorded monitor window of E. The work is in src/usecases/replay.ts.
import { resolve } from 'node:path';
import { environmentGates, loadGatesConfig } from '../../config/gates.js';
import type { EnvironmentGates } from '../../config/gates-schema.js';
import type { Workspace } from '../../config/workspace.js';
import { UsageError } from '../../domain/errors.js';
import { formatValue, IN_SENTENCE } from '../../domain/format.js';
import { readIncidents, replayEnvironment, type ReplayResult, type ReplayedWindow, type Verdict } from '../../usecases/replay.js';

export { readIncidents };
import { displayPath } from '../paths.js';
import type { CommandContext } from '../context.js';

/** Parse --since as a date (YYYY-MM-DD or ISO), or refuse. */
export function parseSince(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) throw new UsageError(`--since "${String(v)}" is not a date; use YYYY-MM-DD.`);
  return new Date(t).toISOString();
}

/** The current config's environment, and the candidate's (a file shaped like quality-gates-config.json). */
export function loadCandidate(ws: Workspace, env: string, file: unknown): { current: EnvironmentGates; candidate: EnvironmentGates; label: string } {
  const current = environmentGates(loadGatesConfig(ws.configPath, displayPath(ws.configPath)), env, displayPath(ws.configPath));
  if (file === undefined) return { current, candidate: current, label: `the current ${displayPath(ws.configPath)}` };
  if (typeof file !== 'string' || !file.trim()) throw new UsageError('--candidate expects a file shaped like quality-gates-config.json.');
  const path = resolve(file);
  const shown = displayPath(path);
  const candidate = environmentGates(loadGatesConfig(path, shown), env, shown);
  return { current, candidate, label: shown };
}

/** One verdict in a few words. */
export function describeVerdict(v: Verdict): string {
  const b = v.breach;
  const unit = (x: number | null, u: string): string => formatValue(x, u, IN_SENTENCE);
  switch (v.outcome) {
    case 'breach':
      return `${v.rollback ? 'ROLLBACK' : 'BREACH'} ${b!.gate} at T+${b!.tPlus} (poll ${b!.poll}, ${unit(b!.value, b!.unit)} > ${unit(b!.threshold, b!.unit)})`;
    case 'passed':
      return v.partial ? `passed (${v.partial})` : `passed (${v.polls} polls)`;
    case 'inconclusive':
    case 'insufficient':
      return `inconclusive: not enough data for ${v.insufficient.join(', ') || 'some gate'}`;
    case 'manual-rollback':
      return 'rolled back by an operator';
    case 'stopped':
      return `stopped by an operator after ${v.polls} polls`;
    case 'unfinished':
      return `unfinished (${v.polls} polls journaled)`;
  }
}

function shortId(id: string, env: string): string {
  return id.replace(`monitor_${env}_`, '');
}

/** The human table and summary. */
export function renderReplay(r: ReplayResult, env: string): string[] {
  const s = r.summary;
  const lines = [`Replay of ${s.windows} recorded monitor window${s.windows === 1 ? '' : 's'} of ${env}${s.since ? ` since ${s.since.slice(0, 10)}` : ''} against ${s.candidate}`, ''];
  if (!r.windows.length) {
    lines.push(`No monitor journals of ${env} in logs/${s.since ? ' since that date' : ''}: nothing to replay.`);
    return lines;
  }
  for (const w of r.windows) lines.push(...windowLines(w, env));
  lines.push('', 'Summary');
  const rep = s.reproduced;
  lines.push(`  Replay fidelity        ${rep.exact} of ${rep.of} windows reproduce their recorded decision with the gates they ran under${rep.mismatched.length ? ` (NOT: ${rep.mismatched.map((x) => shortId(x, env)).join(', ')})` : ''}${rep.approximate ? `; ${rep.approximate} from journals older than gate_config (defaults assumed)` : ''}`);
  lines.push(`  Decided differently    ${s.changed} of ${s.windows}`);
  lines.push(`  Rollbacks avoided      ${s.rollbacksAvoided.length}${s.rollbacksAvoided.length ? `: ${s.rollbacksAvoided.map((x) => `${shortId(x.id, env)}${x.version ? ` ${x.version}` : ''} (${x.gate} at T+${x.tPlus})`).join('; ')}` : ''}`);
  lines.push(`  New breaches           ${s.newBreaches.length}${s.newBreaches.length ? `: ${s.newBreaches.map((x) => `${shortId(x.id, env)}${x.version ? ` ${x.version}` : ''} (${x.gate} at T+${x.tPlus}${x.rollback ? ', would roll back' : ''})`).join('; ')}` : ''}`);
  lines.push(`  False positives        ${s.falsePositivesAvoided.length} of ${s.falsePositives} closed as false positive avoided${s.falsePositivesAvoided.length ? ` (${s.falsePositivesAvoided.map((x) => x.incident).join(', ')})` : ''}${s.falsePositivesStillTripped.length ? `; still tripped: ${s.falsePositivesStillTripped.map((x) => `${x.incident} (${x.gate})`).join(', ')}` : ''}`);
  if (s.shifts.length) {
    lines.push('  Remaining breaches     ' + s.shifts.map((x) => `${shortId(x.id, env)} ${x.recordedGate} T+${x.recorded} -> ${x.recordedGate === x.gate ? '' : `${x.gate} `}T+${x.candidate} (${x.seconds === 0 ? 'same poll' : `${Math.abs(x.seconds)} s ${x.seconds < 0 ? 'earlier' : 'later'}`})`).join('; '));
  }
  if (s.unreadable.length) lines.push(`  Not replayed           ${s.unreadable.length}: ${s.unreadable.map((x) => `${shortId(x.id, env)} (${x.reason})`).join('; ')}`);
  lines.push('', 'Polls are judged where they were recorded: a candidate cannot add the polls its own warnings would have brought (adaptive cadence), nor see past a recorded rollback.');
  return lines;
}

function windowLines(w: ReplayedWindow, env: string): string[] {
  const head = `${shortId(w.id, env)}  ${(w.version ?? '?').padEnd(14)}`;
  const mark = w.changed ? '*' : ' ';
  const rep = w.reproduced === false ? '  (replay does NOT reproduce the recorded decision)' : '';
  return [`${mark} ${head} recorded:  ${describeVerdict(w.recorded)}${w.incident ? ` [${w.incident.id}${w.incident.falsePositive ? ', false positive' : ''}]` : ''}${rep}`, `  ${' '.repeat(head.length)} candidate: ${describeVerdict(w.candidate)}`];
}

/** `rollout replay`. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const env = opts.env as string;
  const since = parseSince(opts.since);
  const ws = ctx.workspace;
  const { candidate, label } = loadCandidate(ws, env, opts.candidate);
  const r = await replayEnvironment({ env, logsDir: ws.logsDir, candidate, candidateLabel: label, ...(since ? { since } : {}), incidents: readIncidents(ws, env) });
  ctx.result({ ok: true, windows: r.windows, summary: r.summary });
  for (const l of renderReplay(r, env)) ctx.say(l);
  return 0;
}
