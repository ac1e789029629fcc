// Tune: thresholds proposed from the healthy windows' own baselines, the seeds' way (24-72 h of
// data, 10-20 % steps, staging first, rationale written down). Each gate's values are measured by
// replaying the healthy windows with the current gates; the proposal is observed p95 (or max)
// times a margin, stepped at most 20 % (or --margin) from the current threshold, flagged when
// looser than the seeds' production default, then replayed over every window like `rollout replay`.
import { readFileSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
// The ESM build: the package's default UMD entry loads its parts with a dynamic require that a bundle cannot follow.
import { applyEdits, modify } from 'jsonc-parser/lib/esm/main.js';
import { parseGatesConfig } from '../config/gates.js';
import { DEFAULT_GATES, type EnvironmentGates, type Gate } from '../config/gates-schema.js';
import { ConfigError, RefusedError, UsageError } from '../domain/errors.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { formatValue, IN_SENTENCE } from '../domain/format.js';
import type { IncidentRecord } from './incident.js';
import { incidentFor, monitorJournals, readWindows, recordedVerdict, replayEnvironment, replayWindow, type ReplayResult } from './replay.js';

/** The seeds' step: a change smaller than this is not worth making, one larger is capped. */
export const MIN_STEP = 0.1;
export const MAX_STEP = 0.2;
/** Healthy windows needed before anything is proposed (the seeds: wait 24-72 hours). */
export const MIN_HEALTHY_WINDOWS = 3;

/** One gate's proposal. */
export interface GateProposal {
  gate: string;
  unit: string;
  statistic: 'p95' | 'max';
  /** The healthy value the proposal starts from (null: no observations). */
  observed: number | null;
  /** Observations (judged polls) behind it. */
  samples: number;
  current: number;
  /** observed x (1 + margin), before the step limit. */
  target: number | null;
  proposed: number;
  changed: boolean;
  /** The seeds' production default, when the proposal is looser than it. */
  looserThanDefault?: number;
  /** One line: why. */
  rationale: string;
  /** The per-window healthy value, oldest first (at most 120): the baseline sparkline. */
  series: number[];
  /** Recorded windows whose decision changes under the proposal, where this gate decided either side. */
  windowsChanged: number;
}

/** What tune proposes for an environment. */
export interface TuneResult {
  env: string;
  since: string | null;
  marginPct: number;
  maxStepPct: number;
  windows: number;
  healthyWindows: number;
  proposals: GateProposal[];
  changed: boolean;
  before: string;
  after: string;
  diff: string;
  /** The proposal replayed over every recorded window (no windows kept in it, only counts). */
  replay: ReplayResult['summary'];
  /** Ready to paste into a commit message. */
  commitMessage: string;
}

const P95_AGGREGATES = new Set<Gate['aggregate']>(['ratio', 'p95', 'mean']);

function nearestRank(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function roundFor(g: Gate, v: number): number {
  if (g.aggregate === 'consecutive_failures' || g.unit === 'items') return Math.round(v);
  if (g.unit === 'ms') return Math.round(v / 10) * 10;
  if (g.unit === '%') return Math.min(100, Math.round(v * 10) / 10);
  return Math.round(v * 100) / 100;
}

/** A threshold in a rationale sentence: the one format module's (src/domain/format.ts). */
function fmt(v: number, unit: string): string {
  return formatValue(v, unit, IN_SENTENCE);
}

/** Propose one gate's threshold from its healthy values. */
export function proposeGate(g: Gate, values: number[], series: number[], o: { marginPct: number; enoughWindows: boolean; healthyWindows: number }): GateProposal {
  const statistic = P95_AGGREGATES.has(g.aggregate) ? 'p95' : 'max';
  const sorted = [...values].sort((a, b) => a - b);
  const observed = sorted.length ? (statistic === 'p95' ? nearestRank(sorted, 0.95) : sorted[sorted.length - 1]!) : null;
  const base = { gate: g.name, unit: g.unit, statistic, observed, samples: sorted.length, current: g.threshold, series: series.slice(-120), windowsChanged: 0 } as const;
  const keep = (why: string, target: number | null = null): GateProposal => ({ ...base, target, proposed: g.threshold, changed: false, rationale: `${g.name}: keep ${fmt(g.threshold, g.unit)}: ${why}` });
  if (!o.enoughWindows) return keep(`only ${o.healthyWindows} healthy window${o.healthyWindows === 1 ? '' : 's'} (at least ${MIN_HEALTHY_WINDOWS} needed: the seeds wait 24-72 h of baseline)`);
  if (g.comparison !== '>') return keep('tune proposes only for gates that trip above their threshold');
  if (observed === null) return keep('no healthy observations of this gate');
  const target = observed * (1 + o.marginPct / 100);
  const seen = `healthy ${statistic} ${fmt(roundFor(g, observed) || observed, g.unit)} over ${sorted.length} polls of ${o.healthyWindows} windows, +${o.marginPct} % margin = ${fmt(roundFor(g, target), g.unit)}`;
  if (g.threshold <= 0) return keep(`a threshold of 0 cannot move by a percentage step (${seen})`, target);
  const delta = target / g.threshold - 1;
  if (Math.abs(delta) < MIN_STEP) return keep(`within ${MIN_STEP * 100} % of the target (${seen})`, target);
  const cap = Math.max(MAX_STEP, o.marginPct / 100);
  const capped = Math.abs(delta) > cap;
  const proposed = roundFor(g, g.threshold * (1 + Math.sign(delta) * Math.min(Math.abs(delta), cap)));
  if (proposed === g.threshold) return keep(`the step rounds back to the current value (${seen})`, target);
  const def = DEFAULT_GATES.production[g.name]?.threshold;
  const looser = def !== undefined && proposed > def ? def : undefined;
  const pct = Math.round((proposed / g.threshold - 1) * 100);
  const rationale = `${g.name}: ${fmt(g.threshold, g.unit)} -> ${fmt(proposed, g.unit)} (${pct > 0 ? '+' : ''}${pct} %): ${seen}${capped ? `; step capped at ${Math.round(cap * 100)} %` : ''}${looser !== undefined ? `; LOOSER than the seeds' production default of ${fmt(looser, g.unit)}` : ''}${g.description && new RegExp(`\\b${String(g.threshold).replace('.', '\\.')}\\b`).test(g.description) ? `; its description still names ${g.threshold}: update it` : ''}`;
  return { ...base, target, proposed, changed: true, ...(looser !== undefined ? { looserThanDefault: looser } : {}), rationale };
}

/** The config text with the proposed thresholds, the rest of the file untouched (formatting included). */
export function applyProposals(text: string, env: string, proposals: GateProposal[]): string {
  let out = text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  for (const p of proposals.filter((x) => x.changed)) {
    const edits = modify(out, ['environments', env, 'quality_gates', p.gate, 'threshold'], p.proposed, { formattingOptions: { insertSpaces: true, tabSize: 2, eol } });
    out = applyEdits(out, edits);
  }
  return out;
}

/** Options of proposeTuning. */
export interface TuneOptions {
  env: string;
  logsDir: string;
  configPath: string;
  /** How the config file is named in messages and the diff. */
  configName: string;
  current: EnvironmentGates;
  since?: string;
  marginPct?: number;
  incidents?: IncidentRecord[];
}

/** Propose thresholds for an environment, with the diff and the replay of the proposal. */
export async function proposeTuning(o: TuneOptions): Promise<TuneResult> {
  const marginPct = o.marginPct ?? 20;
  if (!(marginPct > 0 && marginPct <= 500)) throw new UsageError(`--margin expects a percentage above 0 and at most 500, got ${marginPct}.`);
  const sinceMs = o.since ? Date.parse(o.since) : undefined;
  const gates = o.current.gates.filter((g) => g.enabled);
  const values = new Map<string, number[]>(gates.map((g) => [g.name, []]));
  const series = new Map<string, number[]>(gates.map((g) => [g.name, []]));
  let windows = 0;
  let healthy = 0;
  const incidents = (o.incidents ?? []).filter((i) => i.env === o.env);
  for (const file of monitorJournals(o.logsDir, o.env)) {
    for await (const w of readWindows(file)) {
      if (!Number.isFinite(w.t0) || (sinceMs !== undefined && w.t0 < sinceMs)) continue;
      windows++;
      const rec = recordedVerdict(w);
      // Healthy: passed with no failing breach, or rolled back and closed by a human as a false positive.
      const fp = incidentFor(w, incidents)?.false_positive === true;
      if (!(rec.outcome === 'passed' && !rec.breach) && !fp) continue;
      healthy++;
      let run: ReturnType<typeof replayWindow>;
      try {
        run = replayWindow(w, () => gates, { keepEvaluations: true, noStop: true });
      } catch {
        healthy--; // a damaged journal is no evidence (rollout replay names it)
        continue;
      }
      const perWindow = new Map<string, number[]>();
      for (const e of run.evaluations) {
        for (const d of e.decisions) {
          if (typeof d.value !== 'number' || d.status === 'error' || d.status === 'no-data' || (d.status as string) === 'insufficient') continue;
          values.get(d.gate)?.push(d.value);
          const pw = perWindow.get(d.gate) ?? [];
          pw.push(d.value);
          perWindow.set(d.gate, pw);
        }
      }
      for (const g of gates) {
        const xs = perWindow.get(g.name);
        if (!xs?.length) continue;
        const s = [...xs].sort((a, b) => a - b);
        const v = P95_AGGREGATES.has(g.aggregate) ? nearestRank(s, 0.95) : s[s.length - 1]!;
        const ser = series.get(g.name)!;
        ser.push(v);
        if (ser.length > 240) ser.splice(0, ser.length - 120);
      }
    }
  }
  const enough = healthy >= MIN_HEALTHY_WINDOWS;
  const proposals = gates.map((g) => proposeGate(g, values.get(g.name) ?? [], series.get(g.name) ?? [], { marginPct, enoughWindows: enough, healthyWindows: healthy }));
  const before = readFileSync(o.configPath, 'utf8');
  const after = applyProposals(before, o.env, proposals);
  // The proposal must be a valid config before anything is shown as applicable.
  const candidate = parseGatesConfig(after, `${o.configName} (proposed)`).environments[o.env];
  if (!candidate) throw new ConfigError(`${o.configName}: the proposal lost environment "${o.env}".`);
  const replay = await replayEnvironment({ env: o.env, logsDir: o.logsDir, candidate, candidateLabel: 'the proposal', ...(o.since ? { since: o.since } : {}), incidents, keep: false, onWindow: (w) => {
    if (!w.changed) return;
    for (const p of proposals) if (w.recorded.breach?.gate === p.gate || w.candidate.breach?.gate === p.gate) p.windowsChanged++;
  } });
  const diff = after === before ? '' : createTwoFilesPatch(`a/${o.configName}`, `b/${o.configName}`, before, after, '', '', { context: 1 });
  const changed = proposals.filter((p) => p.changed);
  const s = replay.summary;
  const commitMessage = [
    `Tune ${o.env} quality gates from ${healthy} healthy monitor windows${o.since ? ` since ${o.since.slice(0, 10)}` : ''}`,
    '',
    ...(changed.length ? changed.map((p) => `- ${p.rationale}`) : ['- no threshold changes']),
    '',
    `Replayed over ${s.windows} recorded windows (rollout replay): ${s.rollbacksAvoided.length} rollback${s.rollbacksAvoided.length === 1 ? '' : 's'} avoided, ${s.newBreaches.length} new breach${s.newBreaches.length === 1 ? '' : 'es'}, ${s.falsePositivesAvoided.length} of ${s.falsePositives} false positives avoided; ${s.reproduced.exact} of ${s.reproduced.of} windows reproduce their recorded decision.`,
    `Proposed by rollout tune (margin ${marginPct} %, steps of ${MIN_STEP * 100}-${Math.round(Math.max(MAX_STEP, marginPct / 100) * 100)} %).`,
  ].join('\n');
  return { env: o.env, since: o.since ?? null, marginPct, maxStepPct: Math.round(Math.max(MAX_STEP, marginPct / 100) * 100), windows, healthyWindows: healthy, proposals, changed: changed.length > 0, before, after, diff, replay: s, commitMessage };
}

/**
 * Write the proposal: refused when the file changed since it was read (someone else edited it),
 * then temp + rename so a reader sees the old file or the new one, never half.
 */
export function writeProposal(configPath: string, configName: string, t: TuneResult): void {
  const now = readFileSync(configPath, 'utf8');
  if (now !== t.before) throw new RefusedError(`${configName} changed while the proposal was being made; nothing was written (run rollout tune again).`);
  writeFileAtomic(configPath, t.after);
}
