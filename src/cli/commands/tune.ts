// rollout tune --env E [--since DATE] [--margin PCT] [--write] [--json]: thresholds proposed from
// the healthy windows, shown as a diff with a rationale per gate and replayed over every recorded
// window; written only with --write, then validate-config runs. The work is in src/usecases/tune.ts.
import { UsageError } from '../../domain/errors.js';
import { loadGatesConfig } from '../../config/gates.js';
import { proposeTuning, writeProposal, type TuneResult } from '../../usecases/tune.js';
import { displayPath } from '../paths.js';
import type { CommandContext } from '../context.js';
import { loadCandidate, parseSince, readIncidents } from './replay.js';

/** Parse --margin (a percentage). */
export function parseMargin(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(typeof v === 'string' ? v.replace(/%$/, '') : Number.NaN);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 500) throw new UsageError(`--margin expects a percentage above 0 and at most 500, got "${String(v)}".`);
  return n;
}

/** The human form of a proposal. */
export function renderTune(t: TuneResult, configName: string): string[] {
  const s = t.replay;
  const lines = [`Tuning ${t.env} from ${t.healthyWindows} healthy of ${t.windows} recorded monitor windows${t.since ? ` since ${t.since.slice(0, 10)}` : ''} (margin ${t.marginPct} %, steps of 10-${t.maxStepPct} %)`, ''];
  for (const p of t.proposals) lines.push(`  ${p.changed ? '*' : ' '} ${p.rationale}`);
  lines.push('');
  if (t.diff) lines.push(...t.diff.trimEnd().split('\n').filter((l) => !/^={5,}$/.test(l) && !/^Index: /.test(l)), '');
  else lines.push(`No change proposed: ${configName} stays as it is.`, '');
  lines.push(`Replay of the proposal over ${s.windows} recorded windows: ${s.changed} decided differently, ${s.rollbacksAvoided.length} rollbacks avoided, ${s.newBreaches.length} new breaches${s.newBreaches.length ? ` (${s.newBreaches.map((b) => `${b.version ?? b.id} ${b.gate} at T+${b.tPlus}`).join('; ')})` : ''}, ${s.falsePositivesAvoided.length} of ${s.falsePositives} false positives avoided; fidelity ${s.reproduced.exact} of ${s.reproduced.of}.`);
  return lines;
}

/** `rollout tune`. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const env = opts.env as string;
  const since = parseSince(opts.since);
  const marginPct = parseMargin(opts.margin);
  const ws = ctx.workspace;
  const configName = displayPath(ws.configPath);
  const { current } = loadCandidate(ws, env, undefined);
  const t = await proposeTuning({ env, logsDir: ws.logsDir, configPath: ws.configPath, configName, current, ...(since ? { since } : {}), ...(marginPct !== undefined ? { marginPct } : {}), incidents: readIncidents(ws, env) });
  const write = Boolean(opts.write) && t.changed;
  if (write) {
    writeProposal(ws.configPath, configName, t);
    // validate-config on what is now on disk (the proposal was validated before, so this is the proof).
    loadGatesConfig(ws.configPath, configName);
  }
  const { before: _b, after: _a, ...rest } = t;
  ctx.result({ ok: true, written: write, ...rest });
  for (const l of renderTune(t, configName)) ctx.say(l);
  if (write) {
    ctx.say(`Wrote ${configName}; rollout validate-config:`);
    // In --json mode validate-config would print a second result object; the load above is the same check.
    if (!ctx.flags.json) {
      const { run: validate } = await import('./validate-config.js');
      await validate(ctx);
    }
    ctx.say(`\nCommit message:\n\n${t.commitMessage}`);
  } else if (t.changed) ctx.say(`Nothing written: add --write to apply it (validate-config runs after). Commit message:\n\n${t.commitMessage}`);
  return 0;
}
