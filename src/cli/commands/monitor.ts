// rollout monitor --env E [--duration MIN] [--resume]: the T+60 monitor, headless. One compact
// line per poll (NDJSON with --json); exit 0 when the window passes, 1 when a gate breached.
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { BOUNDS } from '../../config/gates-schema.js';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError } from '../../domain/errors.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { HeadlessView, jsonEvent, jsonResult } from '../../usecases/monitor-format.js';
import { createMonitorForEnv } from '../../usecases/monitor-wiring.js';
import { operatorName, type CommandContext } from '../context.js';
import { loadTui } from '../tui-loader.js';
import { withTestMonitorClock } from '../test-monitor-clock.js';

/** What an operator can type while a headless monitor or drill runs. */
export interface OperatorKeys {
  rollback: () => void;
  extend: (minutes: number) => void;
  stop: () => void;
  /** Sees each line first; returns true when it took the line (a typed confirmation). */
  line?: (text: string) => boolean;
}

/** Read operator commands from stdin, one a line: r (roll back), x N (extend by N minutes), q (stop). Returns the closer. */
export function readOperatorKeys(keys: OperatorKeys): () => void {
  if (!process.stdin.readable) return () => undefined;
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (keys.line?.(line)) return;
    const [cmd, arg] = line.trim().toLowerCase().split(/\s+/);
    if (cmd === 'r' || cmd === 'rollback') keys.rollback();
    else if (cmd === 'x' || cmd === 'extend') keys.extend(Number(arg) > 0 ? Number(arg) : 10);
    else if (cmd === 'q' || cmd === 'quit') keys.stop();
  });
  return () => {
    rl.close();
    process.stdin.pause();
  };
}

/** Parse --duration (minutes, fractions allowed). */
export function parseDuration(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  // The same range as monitoring.duration_minutes in the config.
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < BOUNDS.minDurationMinutes || n > BOUNDS.minutes) {
    throw new UsageError(`--duration expects a number of minutes from ${BOUNDS.minDurationMinutes} to ${BOUNDS.minutes}, got "${String(v)}".`);
  }
  return n;
}

/** `rollout monitor`: run (or resume) the window headless; the exit code is the summary's. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const durationMinutes = parseDuration(opts.duration);
  const ws = ctx.workspace;
  const engine = withTestMonitorClock(await loadEngineContextCached(ws, opts.env as string | undefined, { operator: operatorName(opts.operator as string | undefined) }));
  const handle = createMonitorForEnv(engine, { ...(durationMinutes !== undefined ? { durationMinutes } : {}), resume: Boolean(opts.resume) });
  if (ctx.interactive && !ctx.flags.json) {
    // In a terminal: the monitor screen (src/ui), over this same monitor.
    const { runMonitorTui } = await loadTui(() => import('../../ui/run-monitor-tui.js'));
    return runMonitorTui(engine, handle);
  }
  const logPath = relative(ws.root, handle.journal.path).split('\\').join('/');
  const view = new HeadlessView();
  handle.monitor.subscribe((e) => {
    if (ctx.flags.json) {
      const o = jsonEvent(e, handle.monitor.plan.t0);
      if (o) ctx.jsonLine(o);
    } else for (const l of view.lines(e)) ctx.say(l);
  });
  // Ctrl-C stops the run; the journal stays resumable with --resume.
  const stop = (): void => handle.monitor.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const closeKeys = readOperatorKeys({ rollback: () => void handle.monitor.requestRollback('operator typed r'), extend: (m) => handle.monitor.extend(m), stop });
  ctx.say('Type r + Enter to roll back now, x N to extend the window by N minutes, q to stop (resumable).');
  try {
    const s = await handle.run();
    if (ctx.flags.json) {
      ctx.jsonLine(jsonResult(s, logPath));
      return s.exitCode;
    }
    return outcomeOfCode(s.exitCode, s.exitCode !== 0 ? s.message : undefined);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    closeKeys();
  }
}
