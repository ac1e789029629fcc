// rollout train [--scenario S] [--speed N]: a staging drill in dry run against a scenario timeline,
// on a clock N times faster; type r (rollback), x N (extend N minutes) or q (stop) and Enter
// while it runs. Ends with a debrief. Exit 0 when the monitor behaved as the scenario expects.
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { UsageError } from '../../domain/errors.js';
import { terminalSafe } from '../../domain/terminal-text.js';
import { loadEngineContext } from '../../config/engine-context.js';
import { HeadlessView } from '../../usecases/monitor-format.js';
import { TrainingSession } from '../../usecases/train.js';
import { defaultScenario } from '../../usecases/train-scenario.js';
import { operatorName, type CommandContext } from '../context.js';
import { readOperatorKeys } from './monitor.js';

function parseSpeed(v: unknown): number {
  if (v === undefined) return 60;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0 || n > 100_000) throw new UsageError(`--speed expects a number from above 0 to 100000 (how many times faster than real time), got "${String(v)}".`);
  return n;
}

/** `rollout train`: one drill and its debrief; exit 1 when the monitor did not behave as the scenario expects. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const speed = parseSpeed(opts.speed);
  const ws = ctx.workspace;
  // One default everywhere (TUI, headless, README): p95-regression.
  const scenario = typeof opts.scenario === 'string' ? opts.scenario : defaultScenario(ws.root);
  // Training is always staging, always a dry run: nothing on any target changes.
  const engine = loadEngineContext(ws, 'staging', { operator: operatorName(opts.operator as string | undefined) });
  const session = new TrainingSession(engine, { scenario, speed });
  const view = new HeadlessView();
  // --json prints one object at the end (the debrief); the human view follows the drill live.
  session.monitor.subscribe((e) => {
    if (!ctx.flags.json && e.type !== 'done') for (const l of view.lines(e)) ctx.say(l);
  });
  session.onDecision((ask) => {
    if (!ctx.flags.json) ctx.say(`\n  DECIDE NOW: ${ask}. Type r + Enter to roll back (then the environment's name), or let it run.\n`);
  });
  ctx.say(`Training: ${session.scenario.title} — staging, dry run, ${speed}× real time. Type r + Enter to roll back, x N to extend by N minutes, q to stop.`);
  // The rollback is confirmed as production asks: the environment's name typed on the next line
  // (the TUI's drill asks the same); --yes skips the question for scripts.
  let typing = false;
  const rollback = (): void => {
    if (opts.yes === true) {
      ctx.say('  rolling back (--yes: no typed confirmation)');
      return session.requestRollback();
    }
    typing = true;
    ctx.say(`  Confirm the rollback: type the environment's name (${engine.env}) + Enter, as production asks. Anything else cancels.`);
  };
  const line = (text: string): boolean => {
    if (!typing) return false;
    typing = false;
    if (text.trim() === engine.env) session.requestRollback();
    else ctx.say(`  Not confirmed (typed "${terminalSafe(text.trim()).slice(0, 40)}", expected "${engine.env}"): nothing was rolled back; the drill goes on.`);
    return true;
  };
  const closeKeys = readOperatorKeys({ rollback, extend: (m) => session.extend(m), stop: () => session.stop(), line });
  const stop = (): void => session.stop();
  process.once('SIGINT', stop);
  try {
    const d = await session.run();
    if (ctx.flags.json) {
      ctx.result({
        type: 'result',
        ok: d.expectation?.matched ?? true,
        exit_code: d.expectation && !d.expectation.matched ? 1 : 0,
        scenario: d.scenario,
        speed: d.speed,
        result: d.summary.result,
        message: d.summary.message,
        breaches: d.summary.breaches.map((b) => ({ gate: b.gate, minute: Math.round(((b.at - d.summary.t0) / 60_000) * 100) / 100, value: b.value, threshold: b.threshold, unit: b.unit, action: b.action })),
        rollback: d.summary.rollback ?? null,
        expectation: d.expectation ?? null,
        score: d.score,
        timeline: d.timeline.map((t) => ({ minute: Math.round(((t.at - d.summary.t0) / 60_000) * 100) / 100, what: t.text })),
        trainee: d.trainee.map((t) => ({ minute: Math.round(((t.at - d.summary.t0) / 60_000) * 100) / 100, action: t.text })),
        would_have: d.wouldHave,
        log: d.logPath,
      });
    } else for (const l of d.lines) ctx.say(l);
    if (d.expectation && !d.expectation.matched) {
      return outcomeOfCode(1, `training scenario ${d.scenario} did not go as expected: ${d.expectation.text}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', stop);
    closeKeys();
  }
}
