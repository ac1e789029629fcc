// The walk screen's state: the runner's events folded by a pure reducer, so that what the screen
// shows is tested without rendering and every view reads one plain object.
import type { RunbookStep } from '../config/runbook-schema.js';
import type { BackupInfo, LiveSession, SmokeRow, SubstepStatus } from '../usecases/runner-engines.js';
import type { ChecklistItemResult, RunnerEvent, StepStatus } from '../usecases/runner.js';
import { stepTitle } from '../usecases/runner.js';

/** One step as the screen shows it. */
export interface StepView {
  id: string;
  type: RunbookStep['type'];
  title: string;
  /** The runner's status, or 'stopped': the step the operator stopped the walk at (not a failure). */
  status: StepStatus | 'stopped';
  summary?: string;
  substeps: { name: string; status: SubstepStatus; detail?: string }[];
  progress?: { done: number; total?: number; label?: string; bytesPerSecond?: number };
  output: string[];
  checklist?: ChecklistItemResult[];
  backup?: BackupInfo;
  smoke?: SmokeRow[];
  incidentId?: string;
  report?: string[];
  error?: { message: string; nextSteps: string[] };
}

/** The whole walk. */
export interface WalkState {
  env: string;
  runbook: string;
  dryRun: boolean;
  production: boolean;
  version?: string;
  logPath?: string;
  steps: StepView[];
  current: number;
  session?: LiveSession;
  finished?: { status: 'ok' | 'failed' | 'refused' | 'interrupted'; exitCode: number; message?: string; nextSteps?: string[] };
}

const MAX_OUTPUT = 200;

/** The state before the runner has said anything. */
export function initialWalk(o: { env: string; runbook: string; dryRun: boolean; production: boolean; steps: RunbookStep[]; version?: string }): WalkState {
  return {
    env: o.env,
    runbook: o.runbook,
    dryRun: o.dryRun,
    production: o.production,
    ...(o.version ? { version: o.version } : {}),
    steps: o.steps.map((s) => ({ id: s.id, type: s.type, title: stepTitle(s), status: 'pending', substeps: [], output: [] })),
    current: -1,
  };
}

function patch(s: WalkState, i: number, f: (v: StepView) => StepView): WalkState {
  const v = s.steps[i];
  if (!v) return s;
  const steps = s.steps.slice();
  steps[i] = f(v);
  return { ...s, steps };
}

/** Fold one runner event into the state. */
export function walkReducer(s: WalkState, e: RunnerEvent): WalkState {
  switch (e.type) {
    case 'walk-started':
      return {
        ...s,
        logPath: e.logPath,
        dryRun: e.dryRun,
        production: e.production,
        ...(e.version ? { version: e.version } : {}),
        steps: e.steps.map((st, i) => ({ ...(s.steps[i] ?? { substeps: [], output: [] }), id: st.id, type: st.type, title: stepTitle(st), status: e.statuses[i] === 'running' || e.statuses[i] === 'failed' ? 'pending' : e.statuses[i]!, ...(e.summaries[i] ? { summary: e.summaries[i] } : {}), substeps: s.steps[i]?.substeps ?? [], output: s.steps[i]?.output ?? [] })),
      };
    case 'step-started': {
      const { progress: _p, error: _e, ...rest } = s.steps[e.index] ?? ({} as StepView);
      return { ...patch(s, e.index, () => ({ ...rest, status: 'running', substeps: [], output: [] }) as StepView), current: e.index };
    }
    case 'progress':
      return patch(s, e.index, (v) => ({ ...v, progress: { ...e.progress, ...(e.bytesPerSecond !== undefined ? { bytesPerSecond: e.bytesPerSecond } : {}) } }));
    case 'substep':
      return patch(s, e.index, (v) => {
        const at = v.substeps.findIndex((x) => x.name === e.name);
        const row = { name: e.name, status: e.status, ...(e.detail ? { detail: e.detail } : {}) };
        const substeps = at >= 0 ? v.substeps.map((x, i) => (i === at ? row : x)) : [...v.substeps, row];
        return { ...v, substeps };
      });
    case 'output':
      return patch(s, e.index, (v) => ({ ...v, output: [...v.output, e.line].slice(-MAX_OUTPUT) }));
    case 'checklist':
      return patch(s, e.index, (v) => ({ ...v, checklist: e.items }));
    case 'session':
      return { ...s, session: e.session };
    case 'step-finished':
      return patch(s, e.index, (v) => ({
        ...v,
        status: e.status,
        summary: e.outcome.summary,
        ...(e.outcome.backup ? { backup: e.outcome.backup } : {}),
        ...(e.outcome.smoke ? { smoke: e.outcome.smoke } : {}),
        ...(e.outcome.incidentId ? { incidentId: e.outcome.incidentId } : {}),
        ...(e.outcome.report ? { report: e.outcome.report } : {}),
      }));
    case 'step-failed':
      return patch(s, e.index, (v) => ({ ...v, status: 'failed', summary: e.message, error: { message: e.message, nextSteps: e.nextSteps }, ...(e.outcome?.smoke ? { smoke: e.outcome.smoke } : {}) }));
    case 'walk-finished':
      // An interrupted walk's running step was stopped, not failed: it shows as stopped.
      if (e.status === 'interrupted') s = { ...s, steps: s.steps.map((v) => (v.status === 'running' ? { ...v, status: 'stopped' as const } : v)) };
      return { ...s, finished: { status: e.status, exitCode: e.exitCode, ...(e.message ? { message: e.message } : {}), ...(e.nextSteps ? { nextSteps: e.nextSteps } : {}) } };
  }
}


/** A text progress bar of `width` cells. */
export function bar(done: number, total: number | undefined, width: number): string {
  if (!total || total <= 0) return `[${'·'.repeat(width)}]`;
  const f = Math.max(0, Math.min(1, done / total));
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'·'.repeat(width - n)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/** The status word of a step, for screens without colour. */
export function statusMark(st: StepView['status']): string {
  switch (st) {
    case 'done':
      return '[done]';
    case 'running':
      return '[ >> ]';
    case 'failed':
      return '[FAIL]';
    case 'skipped':
      return '[skip]';
    case 'stopped':
      return '[stop]';
    default:
      return '[    ]';
  }
}
