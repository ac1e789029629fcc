// rollout deploy: the deploy pipeline (src/usecases/deploy.ts) with a live step list, then the
// T+60 monitor unless --no-monitor.
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { UsageError } from '../../domain/errors.js';
import { deploy, deployVersion, interruptedDeploy, type DeployEvent } from '../../usecases/deploy.js';
import type { EngineContext } from '../../config/engine-context.js';
import { loadEngineContextCached } from '../../config/cached-context.js';
import { smokeTable } from '../../usecases/smoke.js';
import { operatorName, type CommandContext } from '../context.js';
import { displayPath } from '../paths.js';

const MARK: Record<string, string> = { running: '..', ok: 'ok', failed: 'FAILED', skipped: 'skipped' };

/** Ask a terminal operator to type the environment name (production safety). */
async function typedConfirmation(env: string, version: string): Promise<boolean> {
  // Loaded only when a terminal is asked: scripts and CI never compile readline.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Deploy ${version} to ${env}? Type the environment name to confirm: `);
    return answer.trim() === env;
  } finally {
    rl.close();
  }
}

/** Deploy; exit 0 on success (the monitor's own code when it runs), 1/2/3 through typed errors. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const env = typeof opts.env === 'string' ? opts.env : undefined;
  const engine = await loadEngineContextCached(ctx.workspace, env, { operator: operatorName(typeof opts.operator === 'string' ? opts.operator : undefined) });
  if (engine.target.target.kind === 'ansible') return (await import('../fleet.js')).deployFleet(ctx, engine, opts);
  if (opts.autoPromote === true || opts.abort === true) throw new UsageError(`--${opts.abort === true ? 'abort' : 'auto-promote'} is for fleets (target kind ansible); ${engine.env} is one target (kind ${engine.target.target.kind}).`);
  const resume = opts.resume === true;
  if (resume && opts.backupFirst === true) throw new UsageError('--backup-first cannot be combined with --resume: the interrupted deploy is finished as it was started.');
  const asked = typeof opts.version === 'string' ? opts.version : undefined;
  // A resume deploys what the interrupted deploy was deploying (the engine says so when there is none).
  const version = resume ? (interruptedDeploy(engine.ws.root, engine.env)?.to_version ?? asked ?? '') : deployVersion(engine, asked);
  const dryRun = opts.dryRun === true;
  let confirmed = opts.yes === true;
  if (engine.production && !confirmed && !dryRun && ctx.interactive && !ctx.flags.json) confirmed = await typedConfirmation(engine.env, version);

  let headed = false;
  const onEvent = (e: DeployEvent): void => {
    if (!headed) {
      headed = true;
      ctx.say(`${dryRun ? `Planning the ${resume ? 'resumed ' : ''}deploy of` : resume ? 'Resuming the interrupted deploy of' : 'Deploying'} ${version} to ${engine.env}${dryRun ? ' (dry run: nothing will change)' : ''}`);
    }
    if (e.type === 'step') {
      if (e.status !== 'running') ctx.say(`  ${e.step.padEnd(9)} ${MARK[e.status]}${e.detail ? `  ${e.detail}` : ''}`);
    } else if (e.type === 'line') ctx.say(`      | ${e.line}`);
    else if (e.type === 'health') ctx.say(`      | health ${e.check.ok ? 'OK ' : 'not OK'} (${e.streak}/${e.needed}) ${e.check.detail}, ${e.check.latencyMs} ms`);
    else if (e.type === 'notice') {
      ctx.say(`Notice: ${e.message}`);
      for (const s of e.nextSteps) ctx.say(`  next: ${s}`);
    }
  };
  const r = await deploy(engine, { ...(resume ? { resume: true, ...(asked ? { version: asked } : {}) } : { version }), dryRun, confirmed, backupFirst: opts.backupFirst === true, onEvent, command: ctx.commandLine });

  if (r.dryRun) {
    ctx.say(`Dry run done; plan written to ${displayPath(r.dryRunLog ?? '')} and ${displayPath(r.logPath)}.`);
    ctx.result({ ok: true, dry_run: true, env: r.env, version: r.version, from: r.from ?? null, plan: r.plan, dry_run_log: r.dryRunLog, log: r.logPath, interrupted: r.interrupted ?? null });
    return 0;
  }
  if (r.smoke) for (const l of smokeTable(r.smoke.results)) ctx.say(`    ${l}`);
  if (r.resumed) ctx.say(`Resumed: ${r.resumed}.`);
  ctx.say(`Deployed ${r.version} to ${r.env}${r.from ? ` (was ${r.from})` : ''}: healthy after ${((r.healthyAfterMs ?? 0) / 1000).toFixed(1)} s${r.url ? ` at ${r.url}` : ''}. Log: ${displayPath(r.logPath)}`);

  const deployJson = {
    ok: true,
    dry_run: false,
    env: r.env,
    version: r.version,
    from: r.from ?? null,
    url: r.url ?? null,
    healthy_after_ms: r.healthyAfterMs ?? null,
    steps: r.steps,
    migrations: r.migrations ?? [],
    backup: r.backup ?? null,
    smoke: r.smoke?.results ?? [],
    log: r.logPath,
    interrupted: r.interrupted ?? null,
    resumed: r.resumed ?? null,
  };
  if (opts.monitor === false) {
    ctx.result({ ...deployJson, monitor: null });
    return 0;
  }
  return monitorAfterDeploy(ctx, engine, r.version, deployJson, r.restartedAt);
}

/** The T+60 monitor right after the deploy; its exit code (0 passed, 1 a gate breached) is the command's. */
async function monitorAfterDeploy(ctx: CommandContext, engine: EngineContext, version: string, deployJson: Record<string, unknown>, restartedAt?: number): Promise<Outcome | number> {
  const { runMonitorAfterDeploy } = await import('../../usecases/monitor-wiring.js');
  const { withTestMonitorClock } = await import('../test-monitor-clock.js');
  const { HeadlessView, jsonResult } = await import('../../usecases/monitor-format.js');
  const view = new HeadlessView();
  ctx.say(`Starting the T+60 monitor for ${engine.env} (Ctrl-C stops it; resume with rollout monitor --env ${engine.env} --resume).`);
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const s = await runMonitorAfterDeploy(withTestMonitorClock(engine), { version, ...(restartedAt !== undefined ? { restartedAt } : {}), signal: ac.signal, onEvent: (e) => {
      for (const l of view.lines(e)) ctx.say(l);
    } });
    ctx.result({ ...deployJson, ok: s.exitCode === 0, monitor: jsonResult(s, displayPath(s.logPath)) });
    return outcomeOfCode(s.exitCode, s.exitCode !== 0 ? s.message : undefined);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
