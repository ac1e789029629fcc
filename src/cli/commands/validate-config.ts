// rollout validate-config: the gates config and every runbook, checked before anything runs.
import { displayPath } from '../paths.js';
import { loadGatesConfig } from '../../config/gates.js';
import { listRunbooks, loadRunbook } from '../../config/runbook.js';
import { ConfigError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';
import { join } from 'node:path';
import { metricsPlan, planLines, type MetricsPlan } from '../../usecases/gate-queries.js';
import { checkFleet } from '../../usecases/fleet-deploy.js';

/** Validate everything; the first problem is the error, with file, path and line. */
export async function run(ctx: CommandContext): Promise<number> {
  const ws = ctx.workspace;
  const rel = displayPath;
  const config = loadGatesConfig(ws.configPath, rel(ws.configPath));
  const files = listRunbooks(ws.runbooksDir);
  if (files.length === 0) throw new ConfigError(`${rel(ws.runbooksDir)}: no runbooks (*.yaml) found.`);
  const runbooks = files.map((f) => loadRunbook(join(ws.runbooksDir, f), rel(join(ws.runbooksDir, f))));
  for (const rb of runbooks) {
    for (const env of Object.keys(rb.environments)) {
      if (!Object.hasOwn(config.environments, env)) throw new ConfigError(`${rb.file}: environment "${env}" has no section in ${rel(ws.configPath)} (environments.${env}).`);
      // Restoring files and restarting does not bring a command target's old release back (the
      // restart runs what is installed): an environment that can auto-rollback needs its own command.
      const t = rb.environments[env]!.target;
      const auto = config.environments[env]!.gates.filter((g) => g.enabled && g.action === 'auto-rollback').map((g) => g.name);
      if (t.kind === 'command' && !t.rollback && auto.length > 0) {
        throw new ConfigError(`${rb.file}: environment "${env}" has a command target without a rollback command (environments.${env}.target.rollback), but its gates ${auto.join(', ')} can auto-rollback; add target.rollback, a command that brings {version} back (e.g. your deploy command with {version}), or set those gates' action to alert.`);
      }
    }
  }
  // Fleets: the inventory and the waves, once per environment.
  const fleetLines: string[] = [];
  const seen = new Set<string>();
  for (const rb of runbooks) {
    for (const [env, e] of Object.entries(rb.environments)) {
      if (e.target.kind !== 'ansible' || seen.has(env)) continue;
      seen.add(env);
      fleetLines.push(await checkFleet(ws.root, env, e, rb.file));
    }
  }
  // Which data each gate judges, per runbook environment: a default and an operator query cannot be misread.
  const plans = runbooks.map((rb) => ({
    file: rb.file,
    environments: Object.fromEntries(Object.entries(rb.environments).map(([env, e]): [string, MetricsPlan] => [env, metricsPlan(e.metrics, config.environments[env]!.gates, `${rb.file} environments.${env}.metrics`)])),
  }));
  const envs = Object.values(config.environments).map((e) => ({
    name: e.name,
    gates: e.gates.filter((g) => g.enabled).map((g) => ({ name: g.name, threshold: g.threshold, unit: g.unit, window_minutes: g.windowMinutes, action: g.action })),
    duration_minutes: e.monitoring.durationMinutes,
    polling: e.monitoring.polling,
  }));
  ctx.result({ ok: true, config: rel(ws.configPath), environments: envs, runbooks: runbooks.map((r, i) => ({ file: r.file, name: r.name, steps: r.steps.length, environments: Object.keys(r.environments), metrics: plans[i]!.environments })) });
  ctx.say(`OK ${rel(ws.configPath)}: ${envs.map((e) => `${e.name} (${e.gates.length} gates, ${e.duration_minutes} min)`).join(', ')}`);
  runbooks.forEach((r, i) => {
    ctx.say(`OK ${r.file}: ${r.steps.length} steps, environments ${Object.keys(r.environments).join(', ')}; what each gate judges:`);
    for (const [env, p] of Object.entries(plans[i]!.environments)) for (const l of planLines(env, p)) ctx.say(l);
  });
  if (fleetLines.length) ctx.say(`OK fleets:\n${fleetLines.join('\n')}`);
  return 0;
}
