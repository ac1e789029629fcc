// rollout notify: send one notification through every configured channel (or, with --dry-run,
// show each payload and write it to the fallback folder), through src/usecases/notify.ts.
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { relative } from 'node:path';
import { UsageError } from '../../domain/errors.js';
import { NOTIFICATION_TYPES, notify, severityOf, summarizeDelivery, type NotificationType } from '../../usecases/notify.js';
import { operatorName, type CommandContext } from '../context.js';

function isType(t: string): t is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(t);
}

/** Send (or rehearse) one notification; exit 0 when delivered or written to the fallback as intended, 1 when a channel failed. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const type = String(opts.type ?? '');
  if (!isType(type)) throw new UsageError(`Unknown --type "${type}": expected one of ${NOTIFICATION_TYPES.join(', ')}.`);
  const message = typeof opts.message === 'string' ? opts.message.trim() : '';
  if (!message) throw new UsageError('--message is empty: give the text to send.');
  const env = typeof opts.env === 'string' ? opts.env : '';
  const dryRun = opts.dryRun === true;
  const ws = ctx.workspace;
  const { report, logPath } = await notify(ws, { type, env, message, operator: operatorName(), dryRun });
  const logFile = relative(ws.root, logPath).split('\\').join('/');
  const severity = severityOf(report.notification);

  const who = summarizeDelivery(report);
  ctx.result({ ok: report.ok, type, env, severity, dry_run: dryRun, delivered_to: who.channels, nobody_notified: who.nobody, outcomes: report.outcomes, fallback_file: report.fallbackFile ?? null, log: logFile });
  ctx.say(`${dryRun ? 'Dry-run: nothing sent. ' : ''}Notification "${type}" (${severity}) for ${env}:`);
  for (const o of report.outcomes) {
    const label = o.channel === 'fallback' && o.status !== 'failed' ? 'written' : o.status;
    const tries = o.attempts > 1 ? ` after ${o.attempts} attempts` : '';
    ctx.say(`  ${o.channel.padEnd(10)}${label.padEnd(11)}${o.detail ?? ''}${tries && !(o.detail ?? '').includes('attempts') ? tries : ''}`);
  }
  if (dryRun) {
    for (const o of report.outcomes) {
      if (o.status !== 'dry-run' || o.channel === 'fallback') continue;
      ctx.say(`\n--- ${o.channel} payload, to ${o.target ?? '(unknown)'} ---`);
      ctx.say(JSON.stringify(o.payload, null, 2));
    }
  }
  // The fallback file is a record, not a person: say so first, in the words every face uses.
  ctx.say(who.line);
  ctx.say(`Log: ${logFile}`);
  if (!report.ok) {
    const failed = report.outcomes.filter((o) => o.status === 'failed');
    const where = report.fallbackFile ? `; it was written to ${report.fallbackFile}` : '; the fallback file could not be written either';
    return outcomeOfCode(1, `notification not delivered on ${failed.map((o) => `${o.channel} (${o.detail ?? 'failed'})`).join(', ') || 'any channel'}${where}.`);
  }
  return 0;
}
