// Training mode: the real monitor and gate engine on staging's gates, fed by a scenario timeline,
// on a clock N times faster, in dry run (nothing is changed; the rollback is simulated). Ends
// with a debrief: what tripped when, what the trainee did, what auto-rollback would have done.
import { existsSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { UsageError } from '../domain/errors.js';
import type { Notification, Notifier } from '../notify/types.js';
import { selectChecks } from '../steps/smoke.js';
import type { EngineContext } from '../config/engine-context.js';
import { Monitor, type MonitorEvent, type MonitorSummary } from './monitor.js';
import { planRollbackStages } from './rollback.js';
import { makeTarget } from '../targets/make-target.js';
import { IN_POLL_LINE, formatValue, tPlus } from '../domain/format.js';
import { ScenarioPlayer, loadScenario, type Scenario } from './train-scenario.js';
import { DrillClock } from './drill-clock.js';

/** How to start a drill. */
export interface TrainOptions {
  scenario: string;
  speed: number;
  /** The real clock that paces the drill's virtual one (tests pass a fake). */
  baseClock?: Clock;
}

/** One line of the debrief's timeline. */
export interface DebriefItem {
  at: number;
  text: string;
}

/** The end of a drill. */
export interface Debrief {
  scenario: string;
  title: string;
  speed: number;
  summary: MonitorSummary;
  timeline: DebriefItem[];
  trainee: DebriefItem[];
  wouldHave: string[];
  expectation?: { text: string; matched: boolean };
  /** The trainee's score: one item per scored moment. */
  score: Score;
  notifications: { at: number; type: string; severity?: string; message: string }[];
  logPath: string;
  lines: string[];
}

/** What the trainee scored, item by item. */
export interface Score {
  points: number;
  of: number;
  items: { what: string; ok: boolean; detail: string }[];
}

/** The newest backup of an environment (not verified), workspace-relative. */
function newestBackupName(ctx: EngineContext): string | undefined {
  if (!existsSync(ctx.ws.backupsDir)) return undefined;
  const re = new RegExp(`^dhash_${ctx.env}_\\d{8}_\\d{6}\\.zip$`);
  const names = readdirSync(ctx.ws.backupsDir).filter((f) => re.test(f)).sort();
  const last = names[names.length - 1];
  return last ? `backups/${last}` : undefined;
}

/** A running drill. */
export class TrainingSession {
  readonly monitor: Monitor;
  readonly player: ScenarioPlayer;
  readonly scenario: Scenario;
  /** Virtual time: it moves by the drill's own events, paced by (never read from) the wall clock. */
  readonly clock: DrillClock;
  readonly journal: AuditLog;
  private readonly trainee: DebriefItem[] = [];
  private readonly timeline: DebriefItem[] = [];
  private readonly notes: Debrief['notifications'] = [];
  private rollbackPlan: string[] = [];
  private readonly transitions = new Map<string, { item: DebriefItem; text: string; count: number }>();
  private decisionAt: number | undefined;
  private readonly decisionListeners = new Set<(ask: string) => void>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly opts: TrainOptions,
  ) {
    if (!(opts.speed > 0) || opts.speed > 100_000) throw new UsageError(`--speed expects a number from above 0 to 100000, got ${opts.speed}.`);
    this.scenario = loadScenario(ctx.ws.root, opts.scenario);
    this.clock = new DrillClock(opts.speed, opts.baseClock ?? systemClock);
    const t0 = this.clock.now();
    this.player = new ScenarioPlayer(this.scenario, this.clock, t0);
    this.journal = AuditLog.open(ctx.ws.logsDir, 'train', ctx.env, { now: () => this.clock.now() });
    const recorder: Notifier = {
      send: async (n: Notification) => {
        this.notes.push({ at: this.clock.now(), type: n.type, ...(n.severity ? { severity: n.severity } : {}), message: n.message });
        return { notification: n, outcomes: [{ channel: 'fallback', status: 'dry-run', attempts: 0, detail: 'training: not sent' }], ok: true };
      },
    };
    const backup = newestBackupName(ctx);
    const smokeCount = selectChecks(ctx.target.smoke, 'all', 'post-rollback').length;
    // What a rollback would do: the real rollback's own stage list, planned (read only), not a copy of it.
    // Real I/O: held, so that virtual time waits for it however slow the disk is.
    const rollbackPlan = this.clock.hold(planRollbackStages({ ctx, target: makeTarget(ctx), ...(backup ? { unverified: backup } : { verifyError: `no backup of ${ctx.env} in backups/: the rollback would refuse here (take one first: rollout backup --env ${ctx.env})` }) }).then(
      (planned) => planned.map((st) => `${st.name}: ${st.detail}`),
      (e: unknown) => [`the rollback's plan could not be made: ${e instanceof Error ? e.message : String(e)}`],
    ));
    this.monitor = new Monitor(
      {
        clock: this.clock,
        health: this.player.health,
        source: this.player.source,
        journal: this.journal,
        notifier: recorder,
        rollback: async (req) => {
          req.onStage('verify-backup', backup ? `would verify ${backup} against ${backup}.sha256` : 'would refuse: no backup of staging in backups/');
          req.onStage('restore', backup ? `would restore ${backup} (dry run: nothing changed)` : 'would stop here: nothing to restore');
          this.player.markRolledBack();
          // Planned when the drill began (and held on the drill clock): the rollback only reads it.
          this.rollbackPlan = await rollbackPlan;
          return { ok: true, dryRun: true, detail: backup ? `simulated: would restore ${backup}` : 'simulated: no backup to restore' };
        },
        smoke: async () => ({ ok: true, detail: `simulated: ${smokeCount} post-rollback checks would run` }),
      },
      {
        env: ctx.env,
        gates: ctx.gates,
        t0,
        durationMinutes: this.scenario.duration_minutes ?? ctx.gates.monitoring.durationMinutes,
        operator: ctx.operator,
        dryRun: true,
        verifyIntervalMs: Math.min(5000, Math.min(...ctx.gates.monitoring.polling.map((p) => p.intervalSeconds)) * 1000),
        logPathForHumans: relative(ctx.ws.root, this.journal.path).split('\\').join('/'),
      },
    );
    this.journal.info('train-start', { scenario: this.scenario.name, title: this.scenario.title, speed: opts.speed, operator: ctx.operator, dry_run: true });
    for (const e of this.scenario.events) this.timeline.push({ at: t0 + e.at_minute * 60_000, text: `scenario: ${e.note ?? describeSet(e.set)}${e.until_minute !== undefined ? ` (until T+${e.until_minute} min)` : ''}` });
    this.monitor.subscribe((e) => this.record(e));
  }

  private record(e: MonitorEvent): void {
    if (e.type === 'gate-state' && (e.to === 'warn' || e.to === 'breach' || e.to === 'error' || (e.from !== 'no-data' && e.to === 'ok'))) {
      const d = e.decision;
      // A flapping gate is told once, with how often it flapped, not once per flap.
      const key = `${e.gate}:${e.from}:${e.to}`;
      const seen = this.transitions.get(key);
      if (seen) {
        seen.count++;
        seen.item.text = `${seen.text} (${seen.count} times, last at ${tPlus(d.window.to, this.monitor.plan.t0)})`;
        return;
      }
      const text = `${e.gate}: ${e.from} → ${e.to}${d.value !== null && e.to !== 'error' ? ` at ${formatValue(d.value, d.unit, IN_POLL_LINE)}` : ''} (threshold ${formatValue(d.threshold, d.unit, IN_POLL_LINE)}${d.window.minutes > 0 ? `, ${d.window.minutes} min window` : ''})`;
      const item = { at: d.window.to, text };
      this.transitions.set(key, { item, text, count: 1 });
      this.timeline.push(item);
    }
    if (e.type === 'alert') this.timeline.push({ at: this.clock.now(), text: `alert: ${e.message}` });
    if (e.type === 'rollback' && (e.stage === 'requested' || e.stage === 'verified' || e.stage === 'failed')) this.timeline.push({ at: this.clock.now(), text: `rollback ${e.stage}${e.detail ? `: ${e.detail}` : ''}` });
  }

  /** The decision question while it is open (asked, and the trainee has not rolled back yet). */
  get openDecision(): string | undefined {
    const d = this.scenario.decision;
    if (!d || this.decisionAt === undefined || this.trainee.some((t) => t.text === 'asked for a rollback')) return undefined;
    return d.ask;
  }

  /** Be told when the decision point is reached (the headless drill prints it). */
  onDecision(fn: (ask: string) => void): () => void {
    this.decisionListeners.add(fn);
    return () => this.decisionListeners.delete(fn);
  }

  /** The trainee asks for a rollback. */
  requestRollback(): void {
    this.trainee.push({ at: this.clock.now(), text: 'asked for a rollback' });
    this.journal.info('trainee', { action: 'rollback' });
    void this.monitor.requestRollback('trainee asked for a rollback');
  }

  /** The trainee extends the window. */
  extend(minutes: number): void {
    this.trainee.push({ at: this.clock.now(), text: `extended the window by ${minutes} min` });
    this.journal.info('trainee', { action: 'extend', minutes });
    this.monitor.extend(minutes);
  }

  /** The trainee stops the drill. */
  stop(): void {
    this.trainee.push({ at: this.clock.now(), text: 'stopped the drill' });
    this.monitor.stop();
  }

  /** Run the drill to its end and build the debrief. */
  async run(): Promise<Debrief> {
    // The decision point: on the drill's clock, at the scenario's minute.
    const d = this.scenario.decision;
    const stop = new AbortController();
    if (d) {
      const t0 = this.monitor.plan.t0;
      void this.clock
        .sleep(Math.max(0, t0 + d.at_minute * 60_000 - this.clock.now()), stop.signal)
        .then(() => {
          if (stop.signal.aborted) return;
          this.decisionAt = this.clock.now();
          this.timeline.push({ at: this.decisionAt, text: `decision point: ${d.ask}` });
          this.journal.info('train-decision', { ask: d.ask, at_minute: d.at_minute });
          for (const l of this.decisionListeners) l(d.ask);
        })
        .catch(() => undefined);
    }
    let summary: MonitorSummary;
    try {
      summary = await this.monitor.run();
    } finally {
      stop.abort();
    }
    const out = this.debrief(summary);
    this.journal.info('train-debrief', { scenario: out.scenario, result: summary.result, expectation: out.expectation, score: out.score, trainee: out.trainee.map((t) => ({ at: tPlus(t.at, summary.t0), what: t.text })) });
    this.journal.close();
    return out;
  }

  /** Score the drill: the decision point (2 points) and whether the drill went as the scenario expects (1). */
  private score(s: MonitorSummary, expectation: Debrief['expectation']): Score {
    const items: Score['items'] = [];
    const d = this.scenario.decision;
    const t0 = s.t0;
    if (d) {
      const rb = this.trainee.find((t) => t.text === 'asked for a rollback');
      const from = t0 + d.at_minute * 60_000;
      const by = d.by_minute !== undefined ? t0 + d.by_minute * 60_000 : Number.POSITIVE_INFINITY;
      let ok: boolean;
      let detail: string;
      if (d.answer === 'rollback') {
        ok = rb !== undefined && rb.at >= from - 60_000 && rb.at <= by;
        detail = rb ? `you rolled back at ${tPlus(rb.at, t0)}${ok ? '' : rb.at > by ? `, after T+${d.by_minute}:00` : ', before there was anything to see'}` : 'you did not roll back';
      } else {
        ok = rb === undefined;
        detail = rb ? `you rolled back at ${tPlus(rb.at, t0)}; waiting was right` : 'you waited';
      }
      items.push({ what: `decision at T+${String(d.at_minute).padStart(2, '0')}:00 (${d.answer === 'rollback' ? 'roll back' : 'wait'})`, ok, detail: `${detail}. ${d.why.trim()}` });
    }
    if (expectation) items.push({ what: 'the drill went as the scenario expects', ok: expectation.matched, detail: expectation.text });
    const points = items.reduce((n, i, k) => n + (i.ok ? (d && k === 0 ? 2 : 1) : 0), 0);
    const of = items.reduce((n, _i, k) => n + (d && k === 0 ? 2 : 1), 0);
    return { points, of, items };
  }

  private debrief(s: MonitorSummary): Debrief {
    const sc = this.scenario;
    const t0 = s.t0;
    const timeline = [...this.timeline].filter((i) => i.at <= s.endedAt).sort((a, b) => a.at - b.at);
    const auto = s.rollback?.trigger === 'auto';
    const wouldHave = s.rollback
      ? [`At ${tPlus(this.notes.find((n) => n.type === 'gate-breach' && n.severity === 'critical')?.at ?? s.endedAt, t0)} ${auto ? `auto-rollback (${s.rollback.gate})` : 'your rollback'} would have:`, ...this.rollbackPlan.map((p, i) => `  ${i + 1}. ${p}`)]
      : s.breaches.length
        ? ['Gates breached, but none with action auto-rollback: only alerts would have been sent.']
        : ['No gate breached: auto-rollback would not have run.'];
    let expectation: Debrief['expectation'];
    if (sc.expect) {
      const rolled = Boolean(s.rollback);
      const gateOk = !sc.expect.gate || !rolled || !auto || s.rollback?.gate === sc.expect.gate || s.breaches.some((b) => b.gate === sc.expect!.gate);
      const first = s.breaches.find((b) => b.action === 'auto-rollback');
      const timeOk = sc.expect.not_before_minute === undefined || !first || (first.at - t0) / 60_000 >= sc.expect.not_before_minute;
      const manual = s.rollback?.trigger === 'manual';
      const matched = manual ? true : rolled === sc.expect.rollback && gateOk && timeOk;
      const want = sc.expect.rollback ? `an auto-rollback${sc.expect.gate ? ` by ${sc.expect.gate}` : ''}${sc.expect.not_before_minute !== undefined ? ` not before T+${sc.expect.not_before_minute} min` : ''}` : 'no rollback';
      expectation = { matched, text: `${manual ? 'You rolled back before the gates decided' : matched ? 'As expected' : 'NOT as expected'}: the scenario calls for ${want}; ${rolled ? `a rollback ran (${s.rollback!.trigger}${s.rollback!.gate ? `, ${s.rollback!.gate}` : ''})` : 'no rollback ran'}.` };
    }
    const score = this.score(s, expectation);
    const lines = [
      '',
      `Debrief — ${sc.title} (scenario ${sc.name}, ${this.ctx.env}, dry run, ×${this.opts.speed})`,
      ...(sc.description ? [`  ${sc.description.trim()}`] : []),
      '',
      'What happened:',
      ...(timeline.length ? timeline.map((i) => `  ${tPlus(i.at, t0)}  ${i.text}`) : ['  nothing out of the ordinary']),
      '',
      'What you did:',
      ...(this.trainee.length ? this.trainee.map((i) => `  ${tPlus(i.at, t0)}  ${i.text}`) : ['  nothing (the monitor decided on its own)']),
      '',
      'What auto-rollback would have done:',
      ...wouldHave.map((l) => `  ${l}`),
      ...(this.notes.length ? ['', 'Notifications that would have been sent:', ...this.notes.map((n) => `  ${tPlus(n.at, t0)}  ${n.type}${n.severity ? ` (${n.severity})` : ''}: ${n.message}`)] : []),
      '',
      `Outcome: ${s.message}`,
      ...(expectation ? [expectation.text] : []),
      '',
      `SCORE: ${score.points}/${score.of}`,
      ...score.items.map((i) => `  ${i.ok ? '[ok]  ' : '[miss]'} ${i.what}: ${i.detail}`),
      ...(sc.expect?.lesson ? ['', `Lesson: ${sc.expect.lesson.trim()}`] : []),
      `Journal: ${relative(this.ctx.ws.root, this.journal.path).split('\\').join('/')}`,
    ];
    return {
      scenario: sc.name,
      title: sc.title,
      speed: this.opts.speed,
      summary: s,
      timeline,
      trainee: this.trainee,
      wouldHave,
      ...(expectation ? { expectation } : {}),
      score,
      notifications: this.notes,
      logPath: relative(this.ctx.ws.root, this.journal.path).split('\\').join('/'),
      lines,
    };
  }
}


function describeSet(set: Record<string, unknown>): string {
  return Object.entries(set)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${String(v)}`)
    .join(', ');
}
