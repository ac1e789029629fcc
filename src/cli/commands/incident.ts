// rollout incident list|show|close: the incident records that rollbacks write.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { closeIncident, listIncidents, readIncident } from '../../usecases/incident.js';
import { UsageError } from '../../domain/errors.js';
import { environmentGates, loadGatesConfig } from '../../config/gates.js';
import { operatorName, type CommandContext } from '../context.js';

/** Dispatch on the verb of `rollout incident VERB`. */
export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const verb = ctx.commandLine.split(/\s+/)[2];
  const ws = ctx.workspace;
  if (verb === 'list') {
    if (typeof opts.env === 'string') environmentGates(loadGatesConfig(ws.configPath, 'quality-gates-config.json'), opts.env);
    const list = listIncidents(ws, typeof opts.env === 'string' ? opts.env : undefined);
    ctx.result({ ok: true, incidents: list });
    if (!list.length) ctx.say('No incidents.');
    for (const r of list) {
      const why = r.trigger.kind === 'auto' ? `${r.trigger.gate ?? 'gate'} ${r.trigger.value ?? '?'} > ${r.trigger.threshold ?? '?'}` : `manual (${r.trigger.operator ?? '?'})`;
      ctx.say(`${r.id}  ${r.env.padEnd(11)} ${r.status.padEnd(6)} ${r.rollback_ok ? 'rolled back' : 'ROLLBACK FAILED'}  ${why}${r.false_positive ? '  [false positive]' : ''}`);
    }
    return 0;
  }
  const id = args[0];
  if (!id) throw new UsageError(`rollout incident ${verb ?? ''} needs an incident id (see rollout incident list).`);
  if (verb === 'show') {
    const r = readIncident(ws, id);
    ctx.result({ ok: true, incident: r });
    const report = join(ws.incidentsDir, id, 'report.md');
    ctx.say(existsSync(report) ? readFileSync(report, 'utf8') : JSON.stringify(r, null, 2));
    return 0;
  }
  if (verb === 'close') {
    const r = await closeIncident(ws, id, { falsePositive: opts.falsePositive === true, ...(typeof opts.note === 'string' ? { note: opts.note } : {}), by: operatorName(typeof opts.operator === 'string' ? opts.operator : undefined) });
    ctx.result({ ok: true, incident: r });
    ctx.say(`${r.id} closed${r.false_positive ? ' as a false positive' : ''}.`);
    return 0;
  }
  throw new UsageError('Use rollout incident list|show ID|close ID.');
}
