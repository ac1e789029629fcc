// Reading a monitor journal back (logs/monitor_<env>_<ts>.log) to resume after a crash: the same
// T0 and end, the kept observations, the gate states, and whether a rollback already started.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateState, Observation } from '../gates/types.js';
import type { BreachRecord, MonitorSummary, ResumeState } from './monitor.js';

/** The newest monitor journal of an environment, if any. */
export function latestMonitorLog(logsDir: string, env: string): string | undefined {
  if (!existsSync(logsDir)) return undefined;
  const re = new RegExp(`^monitor_${env.replace(/[^a-z0-9-]/g, '')}_\\d{8}_\\d{6}\\.log$`);
  const names = readdirSync(logsDir).filter((f) => re.test(f)).sort();
  const last = names[names.length - 1];
  return last ? join(logsDir, last) : undefined;
}

/** What a journal says: resumable state, or a finished window with its summary. */
export type JournalReading =
  | { kind: 'resumable'; state: ResumeState; runId?: string }
  | { kind: 'finished'; summary?: MonitorSummary; endedAt?: string }
  | { kind: 'empty' };

interface Line {
  event?: string;
  ts?: string;
  run_id?: string;
  [k: string]: unknown;
}

/** Rebuild the monitor's state from its journal text (torn or foreign lines are skipped). */
export function readJournal(text: string, keepMs = Number.POSITIVE_INFINITY): JournalReading {
  let t0: number | undefined;
  let endAt: number | undefined;
  let runId: string | undefined;
  const observations: Observation[] = [];
  let states: Record<string, GateState> = {};
  let seq = 0;
  let lastPollAt: number | undefined;
  const breaches: BreachRecord[] = [];
  let rollbackStarted: ResumeState['rollbackStarted'];
  let rollbackFinished: ResumeState['rollbackFinished'];
  let rollbackBefore: ResumeState['rollbackBefore'];
  let rollbackStartNotified = false;
  let alerts = 0;
  let sourceProblems = 0;
  let finished: { summary?: MonitorSummary; endedAt?: string } | undefined;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let l: Line;
    try {
      l = JSON.parse(raw) as Line;
    } catch {
      continue; // a line torn by a kill: everything before it still counts
    }
    switch (l.event) {
      case 'monitor-start':
        t0 = Number(l.t0_ms);
        endAt = Number(l.end_at_ms);
        runId = l.run_id;
        break;
      case 'extend':
        if (Number.isFinite(Number(l.end_at_ms))) endAt = Number(l.end_at_ms);
        break;
      case 'sample': {
        const o = l.observation as Observation | undefined;
        if (!o || typeof o.t !== 'number') break;
        observations.push(o);
        seq = Math.max(seq, o.seq);
        lastPollAt = o.t;
        if (o.source !== 'ok') sourceProblems++;
        break;
      }
      case 'evaluation':
        if (l.states && typeof l.states === 'object') states = l.states as Record<string, GateState>;
        break;
      case 'decision':
        if (l.breach && typeof l.breach === 'object' && l.cause === 'breach') breaches.push(l.breach as BreachRecord);
        if (l.decision === 'alert') alerts++;
        break;
      case 'rollback-start': {
        const r = l.reason as { gate?: unknown; value?: unknown; threshold?: unknown; unit?: unknown } | undefined;
        const reason = r && typeof r.gate === 'string' ? { gate: r.gate, value: Number(r.value ?? Number.NaN), threshold: Number(r.threshold), unit: String(r.unit ?? '') } : undefined;
        rollbackStarted ??= { trigger: l.trigger === 'manual' ? 'manual' : 'auto', ...(typeof l.gate === 'string' ? { gate: l.gate } : {}), at: Number(l.at_ms), ...(reason ? { reason } : {}), ...(typeof l.note === 'string' ? { note: l.note } : {}), ...(typeof l.backup === 'string' ? { backup: l.backup } : {}) };
        break;
      }
      case 'rollback-before':
        if (typeof l.version === 'string' && !rollbackBefore) {
          rollbackBefore = { version: l.version, ...(typeof l.pid === 'number' ? { pid: l.pid } : {}), ...(typeof l.started_at === 'string' ? { startedAt: l.started_at } : {}), ...(typeof l.revision === 'string' ? { revision: l.revision } : {}), ...(typeof l.identity === 'string' ? { identity: l.identity } : {}) };
        }
        break;
      case 'rollback-stage':
        if (l.stage === 'notify' && typeof l.detail === 'string' && l.detail.startsWith('ok')) rollbackStartNotified = true;
        break;
      case 'rollback-done':
        rollbackFinished = { ok: l.ok === true, detail: String(l.detail ?? '') };
        break;
      case 'monitor-done':
        finished = { ...(l.summary ? { summary: l.summary as MonitorSummary } : {}), ...(l.ts ? { endedAt: l.ts } : {}) };
        break;
      case 'monitor-resume':
      case 'monitor-stopped':
        finished = undefined;
        break;
    }
  }
  if (finished) return { kind: 'finished', ...finished };
  if (t0 === undefined || endAt === undefined || !Number.isFinite(t0) || !Number.isFinite(endAt)) return { kind: 'empty' };
  const last = observations[observations.length - 1]?.t ?? t0;
  const kept = observations.filter((o) => o.t >= last - keepMs);
  return {
    kind: 'resumable',
    ...(runId ? { runId } : {}),
    state: {
      t0,
      endAt,
      seq,
      lastPollAt: lastPollAt ?? t0 - 1,
      observations: kept,
      states,
      breaches,
      ...(rollbackStarted ? { rollbackStarted } : {}),
      ...(rollbackFinished ? { rollbackFinished } : {}),
      ...(rollbackBefore ? { rollbackBefore } : {}),
      ...(rollbackStartNotified ? { rollbackStartNotified } : {}),
      alerts,
      sourceProblems,
    },
  };
}

/** Read a journal file. */
export function readJournalFile(path: string, keepMs?: number): JournalReading {
  return readJournal(readFileSync(path, 'utf8'), keepMs);
}
