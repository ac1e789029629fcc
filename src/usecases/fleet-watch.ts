// Watching one wave of a fleet rollout: poll every host that runs the release (health and
// metrics, per-host URLs; one Prometheus query scoped by {hosts}/{instance}), judge the quality
// gates over those hosts together with the same pure gate engine as the T+60 monitor, and, in
// baseline mode, compare them with the hosts still on the old release. Ends at the first
// auto-rollback breach, or when the wave's watch time is over.
import type { AuditLog } from '../audit/logger.js';
import type { EnvironmentGates } from '../config/gates-schema.js';
import { intervalAt } from '../config/gates-schema.js';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import type { Clock } from '../domain/clock.js';
import { evaluate, unjudgedGates } from '../gates/evaluate.js';
import type { GateDecision, GateState, Observation } from '../gates/types.js';
import { createMetricSource } from '../metrics/sources.js';
import type { MetricSource } from '../metrics/types.js';
import type { AnsibleFleet, FleetHost } from '../targets/fleet-ansible.js';
import { combinePolls, compareWithBaseline, DEFAULT_BASELINE_GATES, type BaselineDecision, type HostPoll } from './fleet-plan.js';

/** Why a wave's watch ended. */
export type WatchEnd =
  | { result: 'passed'; polls: number }
  | { result: 'breached'; polls: number; gate: string; value: number | null; threshold: number | null; unit: string; windowMinutes: number; reason: string }
  | { result: 'inconclusive'; polls: number; reason: string };

/** What a wave's watch needs. */
export interface WatchOptions {
  fleet: AnsibleFleet;
  gates: EnvironmentGates;
  runbook: EnvironmentRunbook;
  clock: Clock;
  journal: AuditLog;
  env: string;
  version: string;
  root: string;
  /** Hosts that run the release (every wave so far). */
  release: FleetHost[];
  /** Hosts still on the old release (compared against in baseline mode). */
  baseline: FleetHost[];
  minutes: number;
  /** When the release hosts were started: a first metrics read counts from zero after it. */
  since: number;
  onPoll?: (p: { seq: number; decisions: GateDecision[]; baseline: BaselineDecision[]; health: Observation['health'] }) => void;
}

/** Regex alternation of literal values, for {hosts} and {instance} in PromQL label matchers. */
function alternation(xs: readonly string[]): string {
  return xs.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
}

/** A metrics section scoped to some hosts: Prometheus gets {hosts}/{instance}; the others read each host. */
function sourcesFor(o: WatchOptions, hosts: readonly FleetHost[]): { host: string; source: MetricSource }[] {
  const m = o.runbook.metrics;
  const opts = { clock: o.clock, freshSince: o.since, since: o.since, env: o.env, version: o.version, cwd: o.root, windows: Object.fromEntries(o.gates.gates.map((g) => [g.signal, g.windowMinutes])) };
  if (m.kind === 'prometheus') {
    const fill = (s: string): string => s.replaceAll('{hosts}', alternation(hosts.map((h) => h.name))).replaceAll('{instance}', alternation(hosts.map((h) => new URL(h.url).host)));
    const spec = { ...m, ...(m.selector ? { selector: fill(m.selector) } : {}), ...(m.queries ? { queries: Object.fromEntries(Object.entries(m.queries).map(([k, v]) => [k, fill(v)])) } : {}) };
    return [{ host: hosts.map((h) => h.name).join(','), source: createMetricSource(spec, opts) }];
  }
  return hosts.map((h) => ({ host: h.name, source: createMetricSource(o.fleet.hostRunbook(h).metrics, opts) }));
}

async function poll(fleet: AnsibleFleet, hosts: readonly FleetHost[], sources: { host: string; source: MetricSource }[], withHealth: boolean): Promise<HostPoll[]> {
  const [health, metrics] = await Promise.all([
    withHealth ? Promise.all(hosts.map(async (h) => ({ host: h.name, health: await fleet.health(h) }))) : Promise.resolve([] as HostPoll[]),
    Promise.all(sources.map(async (s) => ({ host: s.host, metrics: await s.source.read() }))),
  ]);
  return [...health, ...metrics];
}

/** Watch one wave until its time is over or an auto-rollback gate (or the baseline) breaches. */
export async function watchWave(o: WatchOptions): Promise<WatchEnd> {
  const start = o.clock.now();
  const end = start + o.minutes * 60_000;
  const canarySources = sourcesFor(o, o.release);
  const spec = o.fleet.spec.baseline;
  const useBaseline = Boolean(spec) && o.baseline.length > 0;
  const baseSources = useBaseline ? sourcesFor(o, o.baseline) : [];
  const canary: Observation[] = [];
  const base: Observation[] = [];
  let states: Record<string, GateState> = {};
  let seq = 0;
  for (;;) {
    seq++;
    const [cp, bp] = await Promise.all([poll(o.fleet, o.release, canarySources, true), useBaseline ? poll(o.fleet, o.baseline, baseSources, false) : Promise.resolve([])]);
    const now = o.clock.now();
    const obs = combinePolls(cp, seq, now);
    canary.push(obs);
    if (useBaseline) base.push(combinePolls(bp, seq, now));
    const ev = evaluate(o.gates.gates, canary, now, states, seq);
    states = ev.states;
    const bd = useBaseline ? compareWithBaseline(o.gates.gates, spec!.gates ?? DEFAULT_BASELINE_GATES, spec!.margin_percent, canary, base, now) : [];
    o.journal.info('fleet.poll', {
      seq,
      hosts: o.release.map((h) => h.name),
      health: obs.health ?? null,
      source: obs.source,
      ...(obs.sourceDetail ? { source_detail: obs.sourceDetail } : {}),
      per_host: cp.filter((p) => p.metrics?.status === 'ok').map((p) => ({ host: p.host, ...(p.metrics as { sample: { values: Record<string, number> } }).sample.values })),
      decisions: ev.decisions.map((d) => ({ gate: d.gate, status: d.status, value: d.value, threshold: d.threshold })),
      ...(bd.length ? { baseline: bd.map((b) => ({ gate: b.gate, status: b.status, canary: b.canary, baseline: b.baseline, limit: b.limit })) } : {}),
    });
    o.onPoll?.({ seq, decisions: ev.decisions, baseline: bd, health: obs.health });
    const trip = ev.actions.find((a) => a.kind === 'rollback');
    if (trip) return { result: 'breached', polls: seq, gate: trip.gate, value: trip.decision.value, threshold: trip.decision.threshold, unit: trip.decision.unit, windowMinutes: trip.decision.window.minutes, reason: trip.decision.reason };
    for (const a of ev.actions) if (a.kind !== 'rollback') o.journal.write(a.cause === 'warn' ? 'info' : 'warn', 'fleet.gate', { gate: a.gate, action: a.kind, cause: a.cause, reason: a.decision.reason });
    const b = bd.find((x) => x.status === 'breach');
    if (b) {
      const gate = o.gates.gates.find((g) => g.name === b.gate);
      return { result: 'breached', polls: seq, gate: `baseline:${b.gate}`, value: b.canary, threshold: b.limit, unit: b.unit, windowMinutes: gate?.windowMinutes ?? 0, reason: b.reason };
    }
    const t = o.clock.now();
    if (t >= end) break;
    const interval = intervalAt(o.gates.monitoring.polling, (t - start) / 60_000) * 1000;
    await o.clock.sleep(Math.min(interval, Math.max(0, end - t)));
  }
  // A watched wave whose auto-rollback gates never had enough data proves nothing: inconclusive.
  if (o.minutes > 0) {
    const unjudged = unjudgedGates(o.gates.gates.filter((g) => g.action === 'auto-rollback'), states);
    if (unjudged.length) return { result: 'inconclusive', polls: seq, reason: `${unjudged.map((g) => g.name).join(', ')} never had enough data in the ${o.minutes} min watch of ${o.release.map((h) => h.name).join(', ')}` };
  }
  return { result: 'passed', polls: seq };
}
