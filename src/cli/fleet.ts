// The CLI face of a fleet (target kind ansible): `rollout deploy` in waves and
// `rollout service status` per host. The engine is src/usecases/fleet-deploy.ts.
import { createInterface } from 'node:readline/promises';
import type { EngineContext } from '../config/engine-context.js';
import { UsageError } from '../domain/errors.js';
import { terminalSafe } from '../domain/terminal-text.js';
import { fleetDeploy, fleetOf, planFleetDeploy, readFleetState, type Between, type FleetEvent, type HostStatus } from '../usecases/fleet-deploy.js';
import type { CommandContext } from './context.js';
import { displayPath } from './paths.js';

/** The fleet as a table: host, version, health, wave. */
export function fleetTable(hosts: readonly HostStatus[], waveOf: Record<string, string> = {}): string[] {
  const rows = hosts.map((h) => [h.host, h.running ? (h.version ?? '?') : 'not running', h.health.ok ? 'OK' : `not OK (${h.health.detail})`, waveOf[h.host] ?? '-']);
  const head = ['host', 'version', 'health', 'wave'];
  const w = head.map((x, i) => Math.max(x.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

/** `rollout deploy --env FLEET`: waves, gates per wave, per-host rollback. */
export async function deployFleet(ctx: CommandContext, engine: EngineContext, opts: Record<string, unknown>): Promise<number> {
  const version = typeof opts.version === 'string' ? opts.version : undefined;
  const resume = opts.resume === true;
  if (opts.abort === true && resume) throw new UsageError('--abort and --resume cannot be combined: --abort rolls the unfinished rollout back, --resume continues it.');
  if (opts.dryRun === true) {
    // The use case plans the waves the rollout would walk (the same list and playbook commands the run uses).
    const plan = await planFleetDeploy(engine, version);
    ctx.say(`Planning the rollout of ${plan.version} to ${engine.env} (dry run: nothing will change)`);
    for (const w of plan.waves) ctx.say(`  wave ${w.name}: ${w.hosts.join(', ')}; watch ${w.watchMinutes} min\n      run: ${w.command}`);
    ctx.result({ ok: true, dry_run: true, env: engine.env, version: plan.version, waves: plan.waves.map((w) => ({ name: w.name, hosts: w.hosts, watch_minutes: w.watchMinutes, command: w.command })) });
    return 0;
  }
  let confirmed = opts.yes === true;
  const pendingVersion = resume || opts.abort === true ? readFleetState(engine)?.version : undefined;
  const shown = version ?? pendingVersion ?? engine.target.default_version ?? '?';
  if (engine.production && !confirmed && ctx.interactive && !ctx.flags.json) confirmed = (await ask(`Deploy ${shown} to the ${engine.env} fleet? Type the environment name to confirm: `)) === engine.env;
  const waveOf: Record<string, string> = {};
  let lastPoll = '';
  // The heading comes with the first event: a refused start prints only its one sentence.
  let headed = false;
  const heading = opts.abort === true ? `Aborting the ${engine.env} rollout of ${shown}: rolling back the hosts that got it` : resume ? `Resuming the ${engine.env} rollout of ${shown}` : `Rolling out ${shown} to ${engine.env} in waves${opts.autoPromote === true ? ' (auto-promote)' : ''}`;
  const onEvent = (e: FleetEvent): void => {
    if (!headed) ctx.say(heading);
    headed = true;
    if (e.type === 'wave') {
      for (const h of e.wave.hosts) waveOf[h] = e.wave.name;
      ctx.say(`wave ${e.wave.index + 1}/${e.total} ${e.wave.name}: ${e.stage}${e.detail ? `  ${e.detail}` : ''}`);
    } else if (e.type === 'line') ctx.say(`      | ${e.line}`);
    else if (e.type === 'poll') {
      // A poll is shown when what it says changes (the journal has every one).
      const text = `health ${e.health}; ${e.gates}`;
      if (text !== lastPoll) ctx.say(`      poll ${e.seq}: ${text}`);
      lastPoll = text;
    }
    else if (e.type === 'rollback') ctx.say(`  rollback ${e.host} ${e.stage}: ${e.detail}`);
  };
  const decide = ctx.interactive && !ctx.flags.json
    ? async (next: { name: string; hosts: string[] }, hosts: HostStatus[]): Promise<Between> => {
        for (const l of fleetTable(hosts, waveOf)) ctx.say(`  ${l}`);
        for (;;) {
          const a = await ask(`Next: wave ${next.name} (${next.hosts.join(', ')}). [p]romote, pa[u]se, [a]bort (roll back)? `);
          if (a === 'p' || a === 'promote') return 'promote';
          if (a === 'u' || a === 'pause') return 'pause';
          if (a === 'a' || a === 'abort') return 'abort';
        }
      }
    : undefined;
  const r = await fleetDeploy(engine, { ...(version ? { version } : {}), resume, abort: opts.abort === true, autoPromote: opts.autoPromote === true, confirmed, command: ctx.commandLine, onEvent, ...(decide ? { decide } : {}) });
  const status = await fleetOf(engine).status(r.hosts).catch(() => undefined);
  if (status) for (const l of fleetTable(status, waveOf)) ctx.say(`  ${l}`);
  ctx.result({ ok: r.exitCode === 0, env: r.env, version: r.version, fleet: true, outcome: r.outcome, message: r.message, waves: r.waves, rollback: r.rollback ?? null, incident: r.incidentId ?? null, log: displayPath(r.logPath), resumed: r.resumed, hosts: status ?? null });
  if (r.exitCode === 0) ctx.say(`${r.message} Log: ${displayPath(r.logPath)}`);
  else process.stderr.write(terminalSafe(`rollout: ${r.message}\n`));
  return r.exitCode;
}

/** `rollout service status --env FLEET`: each host's running version and health, read from the host. */
export async function fleetStatus(ctx: CommandContext, engine: EngineContext): Promise<number> {
  const fleet = fleetOf(engine);
  const hosts = await fleet.status();
  const pending = readFleetState(engine);
  ctx.say(`${engine.env}: ${hosts.filter((h) => h.running).length} of ${hosts.length} hosts running`);
  for (const l of fleetTable(hosts)) ctx.say(`  ${l}`);
  if (pending && ['running', 'paused', 'rolling-back', 'inconclusive'].includes(pending.phase)) ctx.say(`Notice: a rollout of ${pending.version} is ${pending.phase} (waves ${pending.waves.map((w) => `${w.name} ${w.status}`).join(', ')}); continue it with rollout deploy --env ${engine.env} --resume.`);
  ctx.result({ ok: true, action: 'status', env: engine.env, fleet: true, hosts, rollout: pending ? { version: pending.version, phase: pending.phase, waves: pending.waves.map((w) => ({ name: w.name, hosts: w.hosts, status: w.status })) } : null });
  return 0;
}
