// The pure parts of a fleet rollout: which hosts each wave adds (waves count hosts cumulatively,
// like Argo Rollouts' setWeight), the combined observation of several hosts, and the baseline
// comparison (the hosts with the release against the hosts still on the old one).
import type { Gate } from '../config/gates-schema.js';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { ConfigError } from '../domain/errors.js';
import { judgeGate } from '../gates/evaluate.js';
import { histogramCount, mergeHistograms, quantile } from '../gates/histogram.js';
import type { HashDelta, Observation } from '../gates/types.js';
import type { SourceOutcome } from '../metrics/types.js';

type WaveSpec = Extract<EnvironmentRunbook['target'], { kind: 'ansible' }>['waves'][number];

/** One wave as planned for a given list of hosts. */
export interface PlannedWave {
  index: number;
  name: string;
  /** The hosts this wave adds. */
  hosts: string[];
  /** Every host that runs the release once this wave is done. */
  cumulative: string[];
  watchMinutes: number;
}

/** Split `hosts` (inventory order) into the runbook's waves; `where` names the runbook section in errors. */
export function planWaves(waves: readonly WaveSpec[], hosts: readonly string[], where: string): PlannedWave[] {
  const n = hosts.length;
  const out: PlannedWave[] = [];
  let done = 0;
  waves.forEach((w, i) => {
    const want = w.hosts !== undefined ? Math.min(w.hosts, n) : Math.ceil((n * (w.percent ?? 100)) / 100 - 1e-9);
    if (want < done) throw new ConfigError(`${where}.waves[${i}] takes ${want} host${want === 1 ? '' : 's'}, fewer than the ${done} of the waves before it (waves count hosts from the first wave on).`);
    if (want === done) return; // adds nobody with this many hosts (e.g. 25 % of 2 after a canary of 1)
    out.push({ index: out.length, name: w.name ?? (out.length === 0 && want === 1 ? 'canary' : `wave-${out.length + 1}`), hosts: hosts.slice(done, want), cumulative: hosts.slice(0, want), watchMinutes: w.watch_minutes });
    done = want;
  });
  if (done < n) throw new ConfigError(`${where}.waves end with ${done} of the ${n} hosts: end with {percent: 100} so that every host gets the release.`);
  return out;
}

/** One host's poll: its health check and its metrics read. */
export interface HostPoll {
  host: string;
  health?: { ok: boolean; detail: string; latencyMs?: number };
  metrics?: SourceOutcome;
}

const GAUGES = ['low_confidence_queue', 'cpu_percent', 'memory_percent', 'disk_used_percent'] as const;

/**
 * Several hosts' polls as one observation: health OK only when every host is OK (the detail names
 * the others), counters summed, hash-time histograms merged, gauges at their worst (max). A host
 * whose metrics failed makes the whole read an error (never a breach), naming the host.
 */
export function combinePolls(polls: readonly HostPoll[], seq: number, t: number): Observation {
  const obs: Observation = { seq, t, source: 'ok', values: {} };
  const checked = polls.filter((p) => p.health);
  if (checked.length) {
    const bad = checked.filter((p) => !p.health!.ok);
    obs.health = bad.length ? { ok: false, detail: bad.map((p) => `${p.host}: ${p.health!.detail}`).join('; ') } : { ok: true, detail: `${checked.length} host${checked.length === 1 ? '' : 's'} OK` };
  }
  const read = polls.filter((p) => p.metrics);
  const failed = read.filter((p) => p.metrics!.status !== 'ok');
  if (failed.length) {
    obs.source = failed.some((p) => p.metrics!.status === 'error') ? 'error' : 'no-data';
    obs.sourceDetail = failed.map((p) => `${p.host}: ${(p.metrics as Extract<SourceOutcome, { status: 'error' | 'no-data' }>).detail}`).join('; ');
    return obs;
  }
  let extractions: number | undefined;
  let failures: number | undefined;
  const hashes: HashDelta[] = [];
  for (const p of read) {
    const s = (p.metrics as Extract<SourceOutcome, { status: 'ok' }>).sample;
    if (s.extractions !== undefined) extractions = (extractions ?? 0) + s.extractions;
    if (s.failures !== undefined) failures = (failures ?? 0) + s.failures;
    if (s.hash) hashes.push(s.hash);
    for (const g of GAUGES) {
      const v = s.values[g];
      if (v !== undefined) obs.values[g] = Math.max(obs.values[g] ?? v, v);
    }
    // A source that computes windowed values itself (PromQL) is one source for all the hosts.
    if (s.counts) {
      obs.counts = { ...obs.counts, ...s.counts };
      for (const k of ['extraction_failure_rate', 'hash_time_ms'] as const) if (s.values[k] !== undefined) obs.values[k] = s.values[k];
    }
  }
  if (extractions !== undefined) {
    obs.extractions = extractions;
    obs.failures = failures ?? 0;
    if (extractions > 0) obs.values.extraction_failure_rate = (100 * (failures ?? 0)) / extractions;
  }
  const merged = mergeHistograms(hashes);
  if (merged) {
    obs.hash = merged;
    if (histogramCount(merged) > 0) obs.values.hash_time_ms = quantile(merged, 0.95) ?? undefined;
  }
  return obs;
}

/** The gates a baseline comparison looks at when the runbook names none. */
export const DEFAULT_BASELINE_GATES = ['p95_hash_time', 'extraction_failure_rate'];

/** One gate compared between the hosts with the release and the baseline hosts. */
export interface BaselineDecision {
  gate: string;
  status: 'ok' | 'breach' | 'not-judged';
  canary: number | null;
  baseline: number | null;
  /** The limit the canary's value was held to (baseline worsened by the margin). */
  limit: number | null;
  unit: string;
  reason: string;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1);
}

/**
 * Breach when the hosts with the release are worse than the baseline hosts by more than
 * `marginPercent` on a gate (both sides judged over the gate's window with enough observations).
 */
export function compareWithBaseline(gates: readonly Gate[], names: readonly string[], marginPercent: number, canary: readonly Observation[], baseline: readonly Observation[], now: number): BaselineDecision[] {
  const out: BaselineDecision[] = [];
  for (const name of names) {
    const gate = gates.find((g) => g.name === name && g.enabled);
    if (!gate) continue;
    const c = judgeGate(gate, canary, now);
    const b = judgeGate(gate, baseline, now);
    const judged = (s: string): boolean => s === 'ok' || s === 'warn' || s === 'breach';
    const unit = gate.unit === '%' ? '%' : ` ${gate.unit}`;
    if (!judged(c.status) || !judged(b.status) || c.value === null || b.value === null) {
      out.push({ gate: name, status: 'not-judged', canary: c.value, baseline: b.value, limit: null, unit: gate.unit, reason: `baseline ${name}: not judged (release hosts: ${c.reason}; baseline hosts: ${b.reason})` });
      continue;
    }
    const m = marginPercent / 100;
    const limit = gate.comparison === '<' ? b.value * (1 - m) : b.value * (1 + m);
    const worse = gate.comparison === '<' ? c.value < limit : c.value > limit;
    const rel = b.value !== 0 ? ` (${c.value >= b.value ? '+' : ''}${fmt((100 * (c.value - b.value)) / b.value)}%)` : '';
    out.push({ gate: name, status: worse ? 'breach' : 'ok', canary: c.value, baseline: b.value, limit, unit: gate.unit, reason: `baseline ${name}: release hosts ${fmt(c.value)}${unit} against baseline hosts ${fmt(b.value)}${unit}${rel}; ${worse ? 'worse than' : 'within'} the ${fmt(marginPercent)}% margin (limit ${fmt(limit)}${unit})` });
  }
  return out;
}
