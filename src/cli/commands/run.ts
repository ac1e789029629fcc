// rollout run [RUNBOOK] --env E: the headless walk of a runbook. The same runner as the TUI; the
// operator's answers come from flags (--confirm, --sign-off, --yes), and a production walk
// missing one is refused before anything starts.
import type { Outcome } from '../../domain/outcome.js';
import { relative } from 'node:path';
import { terminalSafe } from '../../domain/terminal-text.js';
import { ExitCode, UsageError } from '../../domain/errors.js';
import { loadEngineContext } from '../../config/engine-context.js';
import { withTestMonitorClock } from '../test-monitor-clock.js';
import { RunbookRunner, stepTitle, type RunnerEvent } from '../../usecases/runner.js';
import { headlessPrompts, preflight } from '../../usecases/runner-headless.js';
import type { RunnerEngines } from '../../usecases/runner-engines.js';
import { HeadlessView } from '../../usecases/monitor-format.js';
import type { MonitorEvent } from '../../usecases/monitor.js';

/** What the headless walk needs of a live monitor: its event stream. */
interface MonitorLike {
  subscribe(fn: (e: MonitorEvent) => void): () => void;
}
import { operatorName, type CommandContext } from '../context.js';

function strList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

function mb(n: number): string {
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

/** Walk a runbook headless; exit 0 when every step went through. */
export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>, engines?: RunnerEngines): Promise<Outcome | number> {
  if (args.length > 1) throw new UsageError(`rollout run takes one runbook, not ${args.length} ("${args.join('", "')}").`);
  const operator = operatorName(typeof opts.operator === 'string' ? opts.operator : undefined);
  const ec = withTestMonitorClock(loadEngineContext(ctx.workspace, typeof opts.env === 'string' ? opts.env : undefined, { ...(args[0] ? { runbook: args[0] } : {}), operator }));
  const answers = {
    ...(strList(opts.confirm) ? { confirm: strList(opts.confirm)! } : {}),
    ...(typeof opts.signOff === 'string' ? { signOff: opts.signOff } : {}),
    yes: opts.yes === true,
    dryRun: opts.dryRun === true,
  };
  preflight(ec, answers);
  const prompts = headlessPrompts(ec, answers);
  const eng = engines ?? (await import('../../usecases/runner-wiring.js')).realEngines();
  const runner = new RunbookRunner(ec, {
    engines: eng,
    prompts,
    dryRun: answers.dryRun,
    ...(typeof opts.version === 'string' ? { version: opts.version } : {}),
    yes: answers.yes,
    resume: opts.resume === true,
    command: ctx.commandLine,
    face: 'headless',
  });
  const steps: { id: string; type: string; status: string; summary?: string }[] = [];
  let logPath = '';
  const human = !ctx.flags.json;
  runner.subscribe((e: RunnerEvent) => {
    switch (e.type) {
      case 'walk-started':
        logPath = relative(ec.ws.root, e.logPath).split('\\').join('/');
        e.steps.forEach((s, i) => steps.push({ id: s.id, type: s.type, status: e.statuses[i]! }));
        if (human) ctx.say(`${e.resumed ? 'Resuming' : 'Walking'} ${e.runbook} on ${e.env}${e.version ? ` (version ${e.version})` : ''}${e.dryRun ? ' — DRY-RUN, nothing is changed' : ''}; log: ${logPath}`);
        break;
      case 'step-started':
        steps[e.index]!.status = 'running';
        if (human) ctx.say(`\n[${e.index + 1}/${steps.length}] ${stepTitle(e.step)}`);
        break;
      case 'checklist':
        if (human) for (const it of e.items) ctx.say(`  ${it.ok ? '[x]' : it.manual ? '[ ]' : it.required ? '[!]' : '[-]'} ${it.label}: ${it.found}`);
        break;
      case 'substep':
        if (human && e.status !== 'running') ctx.say(`  ${e.status === 'ok' ? 'ok ' : e.status === 'failed' ? 'FAILED' : e.status}  ${e.name}${e.detail ? ` — ${e.detail}` : ''}`);
        break;
      case 'session':
        // The monitor step, headless: the same line per poll as rollout monitor.
        if (human && e.session.kind === 'monitor') {
          const view = new HeadlessView();
          (e.session.handle as MonitorLike).subscribe((m) => {
            for (const l of view.lines(m)) ctx.say(`  ${l}`);
          });
        }
        break;
      case 'output':
        // Smoke results are printed as a table when the step ends.
        if (human && steps[e.index]?.type !== 'smoke') ctx.say(`  | ${e.line}`);
        break;
      case 'step-finished':
        steps[e.index]!.status = e.status;
        steps[e.index]!.summary = e.outcome.summary;
        if (human) {
          if (e.outcome.backup) ctx.say(`  ${e.outcome.backup.path} (${mb(e.outcome.backup.bytes)}) sha256 ${e.outcome.backup.sha256}`);
          for (const r of e.outcome.smoke ?? []) ctx.say(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.id.padEnd(20)} ${r.tier.padEnd(9)} ${r.detail}`);
          ctx.say(`  ${e.status === 'done' ? 'done' : 'skipped'}: ${e.outcome.summary}`);
        }
        break;
      case 'step-failed':
        steps[e.index]!.status = 'failed';
        steps[e.index]!.summary = e.message;
        if (human) {
          for (const r of e.outcome?.smoke ?? []) ctx.say(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.id.padEnd(20)} ${r.tier.padEnd(9)} ${r.detail}`);
          ctx.say(`  FAILED: ${e.message}`);
        }
        break;
      default:
        break;
    }
  });
  // Ctrl-C stops after the current step, whose engine sees the abort and finishes or reverts
  // what it started; the journal stays resumable and every lock is released on the way out.
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    runner.abort();
    process.stderr.write(terminalSafe(interrupts === 1 ? 'rollout: stopping after the current step finishes safely (the walk can be resumed with --resume)…\n' : 'rollout: still finishing the current step so that nothing is left half-changed; please wait.\n'));
  };
  process.on('SIGINT', onSigint);
  let result;
  try {
    result = await runner.run();
  } finally {
    process.off('SIGINT', onSigint);
  }
  ctx.result({ ok: result.status === 'ok', exit_code: result.exitCode, status: result.status, runbook: ec.runbook.name, env: ec.env, dry_run: answers.dryRun, log: logPath, steps, ...(result.message ? { error: result.message } : {}), ...(result.nextSteps?.length ? { next_steps: result.nextSteps } : {}) });
  if (result.status === 'ok') {
    ctx.say(`\nThe walk of ${ec.runbook.name} on ${ec.env} went through${answers.dryRun ? ' (dry-run)' : ''}. Log: ${logPath}`);
    return ExitCode.ok;
  }
  return { status: result.status, sentence: result.message ?? 'the walk did not finish.', nextSteps: result.nextSteps ?? [], exitCode: result.exitCode };
}
