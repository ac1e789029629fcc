// Rollout metrics from the journals and incidents (the seeds' list): deployment success rate,
// auto-rollback frequency, MTTR (breach detected to third OK health check), false-positive rate,
// per-gate trips, and each gate's baseline over healthy windows to guide threshold tuning.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '../config/workspace.js';
import { listIncidents, readJournals, type IncidentRecord, type JournalEvent } from './incident.js';

/** One real (not dry-run) deployment. */
export interface DeploymentRecord {
  env: string;
  at: string;
  version: string;
  outcome: 'deployed' | 'failed' | 'interrupted';
  rolledBack: boolean;
}

/** A gate's values over healthy monitor windows. */
export interface GateBaseline {
  gate: string;
  unit: string;
  threshold: number;
  samples: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** threshold / p95: how much room the healthy service leaves (below 1.25 is tight). */
  headroom: number | null;
}

/** The report. Rates are fractions 0..1, null when there is nothing to divide by. */
export interface RolloutReport {
  env: string | null;
  since: string | null;
  deployments: { total: number; succeeded: number; failed: number; interrupted: number; rolledBack: number };
  deploymentSuccessRate: number | null;
  rollbacks: { total: number; automatic: number; manual: number };
  autoRollbackFrequency: number | null;
  mttrSeconds: number | null;
  mttrSamples: number;
  falsePositiveRate: number | null;
  falsePositives: number;
  gateTrips: Record<string, number>;
  baselines: GateBaseline[];
  /** Monitor windows; inconclusive: ended before some gate had enough data (exit 4). */
  monitorWindows: { total: number; passed: number; breached: number; inconclusive: number };
  perDay: { day: string; deployments: number; rollbacks: number }[];
  /** Fleet rollouts: aborted waves by wave name (a breach, a failed deploy, or the operator). */
  waveAborts: Record<string, number>;
  records: DeploymentRecord[];
}

function logFiles(logsDir: string, kind: string, env?: string): string[] {
  if (!existsSync(logsDir)) return [];
  const re = new RegExp(`^${kind}_([a-z][a-z0-9-]*)_\\d{8}_\\d{6}\\.log$`);
  return readdirSync(logsDir)
    .filter((f) => re.test(f) && (!env || f.match(re)?.[1] === env))
    .sort()
    .map((f) => join(logsDir, f));
}

function envOf(file: string): string {
  return file.split(/[\\/]/).pop()!.split('_').slice(1, -2).join('_');
}

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Deployments from deploy journals (one file per deploy command). */
export async function readDeployments(ws: Workspace, env?: string, since?: string): Promise<DeploymentRecord[]> {
  const out: DeploymentRecord[] = [];
  for (const f of logFiles(ws.logsDir, 'deploy', env)) {
    const events = await readJournals([f]);
    const start = events.find((e) => e.event === 'deploy.start' && e.fields.dry_run !== true);
    if (!start || (since && start.ts < since)) continue;
    const done = events.some((e) => e.event === 'deploy.done');
    const failed = events.some((e) => e.event === 'deploy.failed');
    out.push({ env: envOf(f), at: start.ts, version: String(start.fields.version ?? '?'), outcome: done ? 'deployed' : failed ? 'failed' : 'interrupted', rolledBack: false });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** Compute the report from the workspace's journals and incidents. */
export async function buildReport(ws: Workspace, opts: { env?: string; since?: string; now?: number } = {}): Promise<RolloutReport> {
  const since = opts.since;
  const deployments = await readDeployments(ws, opts.env, since);
  const incidents: IncidentRecord[] = listIncidents(ws, opts.env).filter((i) => !since || i.opened_at >= since);
  // A deployment counts as rolled back when an automatic rollback of its environment followed it
  // before the next deployment there.
  for (const inc of incidents.filter((i) => i.trigger.kind === 'auto')) {
    const before = deployments.filter((d) => d.env === inc.env && d.at <= inc.detected_at && d.outcome === 'deployed');
    const d = before[before.length - 1];
    if (d) d.rolledBack = true;
  }
  const succeeded = deployments.filter((d) => d.outcome === 'deployed' && !d.rolledBack).length;
  const auto = incidents.filter((i) => i.trigger.kind === 'auto');
  const mttrs = incidents.filter((i) => i.healthy_at).map((i) => (Date.parse(i.healthy_at!) - Date.parse(i.detected_at)) / 1000);
  const closed = incidents.filter((i) => i.status === 'closed');
  const falsePositives = incidents.filter((i) => i.false_positive).length;

  const gateTrips: Record<string, number> = {};
  const values = new Map<string, { unit: string; threshold: number; xs: number[] }>();
  let windows = 0;
  let passed = 0;
  let breached = 0;
  let inconclusive = 0;
  for (const f of logFiles(ws.logsDir, 'monitor', opts.env)) {
    const events: JournalEvent[] = await readJournals([f]);
    if (since && (events[0]?.ts ?? '') < since) continue;
    const done = events.filter((e) => e.event === 'monitor-done').pop();
    if (!events.some((e) => e.event === 'monitor-start')) continue;
    windows++;
    const result = String(done?.fields.result ?? 'unfinished');
    if (result === 'passed') passed++;
    if (result === 'inconclusive') inconclusive++;
    for (const e of events) if (e.event === 'decision' && e.fields.cause === 'breach') gateTrips[String(e.fields.gate)] = (gateTrips[String(e.fields.gate)] ?? 0) + 1;
    const tripped = events.some((e) => e.event === 'decision' && e.fields.cause === 'breach');
    if (tripped) breached++;
    // Baselines come only from healthy windows: a window that tripped says little about normal.
    if (tripped || result !== 'passed') continue;
    for (const e of events) {
      if (e.event !== 'evaluation' || !Array.isArray(e.fields.decisions)) continue;
      for (const d of e.fields.decisions as { gate: string; value: number | null; unit: string; threshold: number; status: string }[]) {
        if (typeof d.value !== 'number' || d.status === 'error' || d.status === 'no-data' || d.status === 'insufficient') continue;
        const v = values.get(d.gate) ?? { unit: d.unit, threshold: d.threshold, xs: [] };
        v.xs.push(d.value);
        values.set(d.gate, v);
      }
    }
  }
  const baselines: GateBaseline[] = [...values.entries()]
    .map(([gate, v]) => {
      const xs = [...v.xs].sort((a, b) => a - b);
      const p95 = quantile(xs, 0.95);
      return { gate, unit: v.unit, threshold: v.threshold, samples: xs.length, p50: quantile(xs, 0.5), p95, max: xs.length ? xs[xs.length - 1]! : null, headroom: p95 && p95 > 0 ? v.threshold / p95 : null };
    })
    .sort((a, b) => a.gate.localeCompare(b.gate));

  const days = new Map<string, { deployments: number; rollbacks: number }>();
  for (const d of deployments) {
    const k = d.at.slice(0, 10);
    days.set(k, { deployments: (days.get(k)?.deployments ?? 0) + 1, rollbacks: days.get(k)?.rollbacks ?? 0 });
  }
  for (const i of incidents) {
    const k = i.opened_at.slice(0, 10);
    days.set(k, { deployments: days.get(k)?.deployments ?? 0, rollbacks: (days.get(k)?.rollbacks ?? 0) + 1 });
  }
  const waveAborts: Record<string, number> = {};
  for (const f of logFiles(ws.logsDir, 'deploy', opts.env)) {
    for (const e of await readJournals([f])) {
      if (e.event !== 'fleet.wave.aborted' || (since && e.ts < since)) continue;
      const name = String(e.fields.name ?? e.fields.wave ?? '?');
      waveAborts[name] = (waveAborts[name] ?? 0) + 1;
    }
  }
  const perDay = [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, v]) => ({ day, ...v }));

  return {
    env: opts.env ?? null,
    since: since ?? null,
    deployments: {
      total: deployments.length,
      succeeded,
      failed: deployments.filter((d) => d.outcome === 'failed').length,
      interrupted: deployments.filter((d) => d.outcome === 'interrupted').length,
      rolledBack: deployments.filter((d) => d.rolledBack).length,
    },
    deploymentSuccessRate: deployments.length ? succeeded / deployments.length : null,
    rollbacks: { total: incidents.length, automatic: auto.length, manual: incidents.length - auto.length },
    autoRollbackFrequency: deployments.length ? auto.length / deployments.length : null,
    mttrSeconds: mttrs.length ? mttrs.reduce((a, b) => a + b, 0) / mttrs.length : null,
    mttrSamples: mttrs.length,
    // Of the rollbacks someone has reviewed and closed, how many were not needed.
    falsePositiveRate: closed.length ? falsePositives / closed.length : null,
    falsePositives,
    gateTrips,
    baselines,
    monitorWindows: { total: windows, passed, breached, inconclusive },
    perDay,
    waveAborts,
    records: deployments,
  };
}
