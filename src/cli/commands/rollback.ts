// rollout rollback: restore a verified backup (src/usecases/rollback.ts). Production needs --force
// without a terminal; in a terminal the operator types the environment's name instead.
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { RefusedError } from '../../domain/errors.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { rollback, type RollbackStage } from '../../usecases/rollback.js';
import { operatorName, type CommandContext } from '../context.js';
import { loadTui } from '../tui-loader.js';

async function typedConfirmation(env: string): Promise<boolean> {
  // Loaded only when a terminal is asked: scripts and CI never compile readline.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Roll back ${env}? Type the environment name (${env}) to confirm: `);
    return answer.trim() === env;
  } finally {
    rl.close();
  }
}

const MARK: Record<RollbackStage['status'], string> = { running: '..', ok: 'OK', failed: 'XX', skipped: '--', planned: '  ' };

/** Roll back (or plan it with --dry-run); exit 0 healthy, 1 a later stage failed, 3 refused. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const ws = ctx.workspace;
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const engine = await loadEngineContextCached(ws, env, { operator: operatorName(typeof opts.operator === 'string' ? opts.operator : undefined) });
  const dryRun = opts.dryRun === true;
  let force = opts.force === true;
  if (!dryRun && !force && ctx.interactive && !ctx.flags.json) {
    // The on-call fast path: straight to the confirmation screen with the newest verified backup (src/ui).
    const { runRollbackTui } = await loadTui(() => import('../../ui/run-rollback-tui.js'));
    return runRollbackTui(engine, typeof opts.backup === 'string' ? opts.backup : undefined, ctx.commandLine);
  }
  if (!dryRun && engine.production && !force && ctx.interactive && !ctx.flags.json) {
    if (!(await typedConfirmation(engine.env))) throw new RefusedError(`Rollback of ${engine.env} not confirmed: the typed name did not match.`);
    force = true;
  }
  const onStage = (s: RollbackStage): void => {
    if (ctx.flags.json || s.status === 'running') return;
    ctx.say(`[${MARK[s.status]}] ${s.name.padEnd(12)} ${s.detail}`);
  };
  const out = await rollback(engine, {
    force,
    dryRun,
    onStage,
    command: ctx.commandLine,
    ...(opts.again === true ? { again: true } : {}),
    ...(typeof opts.backup === 'string' ? { backup: opts.backup } : {}),
  });
  ctx.result({
    ok: out.ok,
    outcome: out.dryRun ? 'dry-run' : out.noop ? 'noop' : out.ok ? 'rolled-back' : out.failed ? 'rollback-failed' : 'refused',
    ...(out.noop ? { noop: true, message: out.message } : {}),
    dry_run: out.dryRun,
    env: engine.env,
    backup: out.backup,
    version: out.version,
    previous_version: out.previousVersion,
    running_version: out.runningVersion,
    pre_rollback: out.preRollback,
    incident: out.incidentId,
    log: out.logFile,
    ...(out.dryRunLog ? { dry_run_log: out.dryRunLog } : {}),
    ...(out.recovered ? { recovered: out.recovered } : {}),
    health_checks: out.healthChecks.map((c) => ({ ok: c.ok, detail: c.detail, latency_ms: c.latencyMs })),
    smoke: out.smoke ? out.smoke.results.map((r) => ({ id: r.id, ok: r.ok, detail: r.detail })) : null,
    stages: out.stages.map((s) => ({ name: s.name, status: s.status, detail: s.detail })),
    notified: (out.notified ?? []).map((n) => ({ stage: n.stage, channels: n.channels, nobody_notified: n.nobody, pending: n.pending })),
    duration_ms: out.durationMs,
    ...(out.error ? { error: out.error, exit_code: out.exitCode } : {}),
  });
  if (out.recovered) ctx.say(`Note: ${out.recovered}`);
  if (out.dryRun) {
    ctx.say(`Dry run: nothing was changed; the plan is in ${out.dryRunLog}.`);
    return outcomeOfCode(out.exitCode, out.error);
  }
  if (out.noop) {
    ctx.say(out.message ?? `${engine.env} already runs the backup's version and is healthy; nothing to do.`);
    return 0;
  }
  if (out.ok) {
    // runningVersion is what the target itself reported after the restart, not the backup's label.
    ctx.say(`Rolled back ${engine.env} from ${out.previousVersion ?? 'unknown'} to ${out.version ?? 'unknown'} (${out.backup}) in ${(out.durationMs / 1000).toFixed(1)} s; the target runs ${out.runningVersion ?? 'unknown'}.`);
    ctx.say(`  before: ${out.preRollback}  log: ${out.logFile}  incident: incidents/${out.incidentId}`);
    return 0;
  }
  // A rollback that changed the environment but did not verify says so loudly, on its own line.
  const failed: Outcome = outcomeOfCode(out.exitCode, out.error ?? 'the rollback failed', out.preRollback ? [`the state from before the rollback is in ${out.preRollback}; see ${out.logFile}.`] : []);
  // ROLLBACK FAILED (a rollback that changed the environment but did not verify) stands alone on its line.
  return out.failed ? { ...failed, loud: true } : failed;
}
