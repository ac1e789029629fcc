// A fleet rollout in waves: each wave's hosts get the release through ansible-playbook --limit,
// the gates watch every host that runs it so far, and the next wave starts only when they pass
// (--auto-promote, or the operator's promote). A breach rolls back exactly the hosts that got the
// release, each to the version it ran before, verified per host by running version, health and
// smoke; hosts of later waves are never touched. The state (.rollout/fleet/<env>.json, written
// atomically at every step) lets --resume pick up at the wave where a killed run stopped.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import type { EngineContext } from '../config/engine-context.js';
import { ConfigError, ExternalError, RefusedError, RolloutError, UsageError } from '../domain/errors.js';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import { testPause } from '../domain/test-pause.js';
import { withEnvLock } from '../lock/env-lock.js';
import { createNotifier, type Notification } from '../notify/index.js';
import { waitForHealthy } from '../probes/health.js';
import { openIncident } from './incident.js';
import { AnsibleFleet, type FleetHost, type HostStatus } from '../targets/fleet-ansible.js';

/** A host's state as the faces show it (the face reaches the target only through this use case). */
export type { HostStatus } from '../targets/fleet-ansible.js';
import type { RunningInstance } from '../targets/contract.js';
import { planWaves, type PlannedWave } from './fleet-plan.js';
import { verifyRollback } from './rollback-verify.js';
import { watchWave, type WatchEnd } from './fleet-watch.js';

/** The saved progress of one fleet rollout. */
export interface FleetState {
  version: string;
  started_at: string;
  /** Workspace-relative deploy journal (a resumed run appends to it). */
  log: string;
  run_id: string;
  phase: 'running' | 'paused' | 'rolling-back' | 'done' | 'rolled-back' | 'rollback-failed' | 'inconclusive';
  waves: (PlannedWave & { status: 'pending' | 'deploying' | 'watching' | 'passed' | 'tripped' })[];
  /** Every host that was handed the release, with what it ran before (null: nothing answered). */
  hosts: { host: string; wave: number; from: string | null }[];
  trip?: { wave: number; gate: string; reason: string; at: string };
}

/** What the screen or the CLI is told as the rollout goes. */
export type FleetEvent =
  | { type: 'wave'; wave: PlannedWave; total: number; stage: 'deploying' | 'watching' | 'passed' | 'tripped' | 'inconclusive'; detail?: string }
  | { type: 'line'; line: string }
  | { type: 'poll'; wave: number; seq: number; health: string; gates: string }
  | { type: 'rollback'; host: string; stage: string; detail: string }
  | { type: 'fleet'; hosts: HostStatus[]; waveOf: Record<string, string> };

/** The operator's choice between waves. */
export type Between = 'promote' | 'pause' | 'abort';

/** Options of a fleet rollout. */
export interface FleetDeployOptions {
  version?: string;
  /** Continue the saved rollout of this environment (at the wave where it stopped). */
  resume?: boolean;
  autoPromote?: boolean;
  /** Abandon the saved rollout: roll back every host that got its release (the operator's abort). */
  abort?: boolean;
  confirmed?: boolean;
  command: string;
  onEvent?: (e: FleetEvent) => void;
  /** Asked between waves when not auto-promoting (a terminal); absent: pause. */
  decide?: (next: PlannedWave, fleet: HostStatus[]) => Promise<Between>;
}

/** One host's rollback, as verified. */
export interface HostRollback {
  host: string;
  from: string;
  to: string | null;
  ok: boolean;
  running: string | null;
  detail: string;
}

/** How a fleet rollout ended. */
export interface FleetDeployResult {
  outcome: 'promoted' | 'paused' | 'rolled-back' | 'rollback-failed' | 'inconclusive';
  exitCode: 0 | 1 | 4;
  message: string;
  env: string;
  version: string;
  waves: { name: string; hosts: string[]; status: string }[];
  rollback?: HostRollback[];
  incidentId?: string;
  logPath: string;
  resumed: boolean;
  /** The fleet's hosts as the inventory gave them (for a status read without a second inventory run). */
  hosts: FleetHost[];
}

/** Where an environment's fleet rollout state is kept. */
export function fleetStatePath(ctx: EngineContext): string {
  return join(ctx.ws.root, '.rollout', 'fleet', `${ctx.env}.json`);
}

/** The saved rollout of an environment, if one is unfinished. */
export function readFleetState(ctx: EngineContext): FleetState | undefined {
  const p = fleetStatePath(ctx);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as FleetState;
  } catch {
    throw new UsageError(`${relative(ctx.ws.root, p)} is not valid JSON: the saved fleet rollout cannot be resumed; check the hosts with rollout service status --env ${ctx.env} and remove the file.`);
  }
}

/** The fleet of an environment whose target is kind ansible. */
export function fleetOf(ctx: EngineContext): AnsibleFleet {
  const t = ctx.target.target;
  if (t.kind !== 'ansible') throw new UsageError(`${ctx.env} is not a fleet (its target is kind ${t.kind}).`);
  return new AnsibleFleet(ctx.ws.root, ctx.env, t, ctx.target);
}

function list(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? 'no host') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;
}

/**
 * validate-config's look at a fleet: the inventory file exists, and (where ansible-inventory is
 * installed) its group has hosts and the waves cover them; one line saying what was found.
 */
export async function checkFleet(root: string, env: string, rb: EnvironmentRunbook, file: string): Promise<string> {
  const t = rb.target;
  if (t.kind !== 'ansible') return '';
  if (!existsSync(join(root, t.inventory))) throw new ConfigError(`${file}: environment "${env}" names the inventory ${t.inventory} (environments.${env}.target.inventory), which does not exist.`);
  const fleet = new AnsibleFleet(root, env, t, rb);
  let hosts: FleetHost[];
  try {
    hosts = await fleet.hosts();
  } catch (e) {
    if (e instanceof ExternalError && /exit 127\b/.test(e.message)) return `  ${env}: fleet hosts not checked (ansible-inventory is not installed)`;
    throw e;
  }
  const waves = planWaves(t.waves, hosts.map((h) => h.name), `${file}: environments.${env}.target`);
  return `  ${env}: ${hosts.length} hosts in ${t.inventory} [${t.group}]; waves ${waves.map((w) => `${w.name} +${w.hosts.length}`).join(', ')}`;
}

/** One wave of a fleet rollout as a dry run plans it: its hosts, its watch and the playbook it runs. */
export interface PlannedFleetWave {
  name: string;
  hosts: string[];
  watchMinutes: number;
  command: string;
}

/** The version a new fleet rollout deploys: --version, else the runbook's default_version. */
function fleetVersion(ctx: EngineContext, version: string | undefined): string {
  const v = version ?? ctx.target.default_version;
  if (!v) throw new UsageError(`No --version given and ${ctx.runbook.file} has no default_version for ${ctx.env}.`);
  return v;
}

/** A release the fleet's playbook can deploy, or a usage error (exit 2) naming where it looked. */
function knownRelease(ctx: EngineContext, fleet: AnsibleFleet, version: string): void {
  const releases = fleet.releasesDir();
  if (!existsSync(join(releases, version, 'release.json'))) throw new UsageError(`Unknown version "${version}": there is no release ${version} in ${releases.startsWith(ctx.ws.root) ? relative(ctx.ws.root, releases) || '.' : releases}.`);
}

/** The waves a new rollout walks, from the runbook and the inventory (the one list the dry run and the run share). */
function newWaves(ctx: EngineContext, fleet: AnsibleFleet, hosts: readonly FleetHost[]): PlannedWave[] {
  return planWaves(fleet.spec.waves, hosts.map((h) => h.name), `${ctx.runbook.file}: environments.${ctx.env}.target`);
}

/** The hosts of a wave, in the wave's order: the order the playbook is given them. */
function hostsOf(names: readonly string[], byName: ReadonlyMap<string, FleetHost>): FleetHost[] {
  return names.map((n) => byName.get(n)!);
}

/** `deploy --dry-run` on a fleet: the waves a rollout of the version would walk, each with the playbook command it would run; changes nothing. */
export async function planFleetDeploy(ctx: EngineContext, version?: string): Promise<{ version: string; waves: PlannedFleetWave[] }> {
  const fleet = fleetOf(ctx);
  const v = fleetVersion(ctx, version);
  knownRelease(ctx, fleet, v);
  const hosts = await fleet.hosts();
  const byName = new Map(hosts.map((h) => [h.name, h]));
  return { version: v, waves: newWaves(ctx, fleet, hosts).map((w) => ({ name: w.name, hosts: w.hosts, watchMinutes: w.watchMinutes, command: fleet.playbookCommand(fleet.spec.deploy, hostsOf(w.hosts, byName), v) })) };
}

/** Roll out a release to a fleet in waves (or resume the saved rollout). */
export async function fleetDeploy(ctx: EngineContext, opts: FleetDeployOptions): Promise<FleetDeployResult> {
  const fleet = fleetOf(ctx);
  return withEnvLock(ctx.ws.locksDir, ctx.env, { operator: ctx.operator, command: opts.command }, () => run(ctx, fleet, opts));
}

async function run(ctx: EngineContext, fleet: AnsibleFleet, opts: FleetDeployOptions): Promise<FleetDeployResult> {
  const emit = (e: FleetEvent): void => opts.onEvent?.(e);
  const statePath = fleetStatePath(ctx);
  const saved = readFleetState(ctx);
  const pending = saved && ['running', 'paused', 'rolling-back', 'inconclusive'].includes(saved.phase) ? saved : undefined;
  const hosts = await fleet.hosts();
  const byName = new Map(hosts.map((h) => [h.name, h]));
  let st: FleetState;
  let log: AuditLog;
  if (opts.resume || opts.abort) {
    if (!pending) throw new UsageError(`No interrupted fleet rollout of ${ctx.env} to ${opts.abort ? 'abort' : 'resume'}${saved ? ` (the last one, ${saved.version}, ended ${saved.phase})` : ''}.`);
    if (opts.version && opts.version !== pending.version) throw new UsageError(`The interrupted rollout of ${ctx.env} is of ${pending.version}, not ${opts.version}: resume it without --version, or finish it first.`);
    st = pending;
    for (const h of st.waves.flatMap((w) => w.hosts)) if (!byName.has(h)) throw new UsageError(`Host ${h} of the interrupted rollout is no longer in ${fleet.spec.inventory}: restore the inventory to resume.`);
    log = new AuditLog({ path: join(ctx.ws.root, st.log), env: ctx.env, runId: st.run_id, now: () => ctx.clock.now() });
    log.info(opts.abort ? 'fleet.abort' : 'fleet.resume', { version: st.version, phase: st.phase, waves: st.waves.map((w) => ({ name: w.name, status: w.status })), command: opts.command, operator: ctx.operator });
  } else {
    if (pending) throw new RefusedError(`A fleet rollout of ${pending.version} to ${ctx.env} is unfinished (${pending.phase}; waves ${pending.waves.map((w) => `${w.name} ${w.status}`).join(', ')}), so nothing was started.`, [`rollout deploy --env ${ctx.env} --resume   # continue it at the wave where it stopped`, `rollout deploy --env ${ctx.env} --abort    # roll back the hosts it reached`]);
    const version = fleetVersion(ctx, opts.version);
    knownRelease(ctx, fleet, version);
    if (ctx.production && !opts.confirmed) throw new RefusedError(`Deploying ${version} to ${ctx.env} needs confirmation: pass --yes (or run it in a terminal and type the environment name).`);
    const waves = newWaves(ctx, fleet, hosts);
    log = AuditLog.open(ctx.ws.logsDir, 'deploy', ctx.env, { now: () => ctx.clock.now() });
    st = { version, started_at: new Date(ctx.clock.now()).toISOString(), log: relative(ctx.ws.root, log.path), run_id: log.runId, phase: 'running', waves: waves.map((w) => ({ ...w, status: 'pending' })), hosts: [] };
    log.info('deploy.start', { version, fleet: true, hosts: hosts.map((h) => h.name), waves: waves.map((w) => ({ name: w.name, hosts: w.hosts, watch_minutes: w.watchMinutes })), operator: ctx.operator, command: opts.command, dry_run: false });
  }
  const save = (): void => writeJsonAtomic(statePath, st);
  save();
  const notifier = createNotifier({ ws: ctx.ws, env: ctx.env, settings: ctx.gates.notifications, log, clock: ctx.clock });
  // Notifications never stop a rollout or a rollback: their outcome is in the journal and the fallback folder.
  const notify = async (n: Omit<Notification, 'env' | 'operator' | 'version' | 'logPath'>): Promise<void> => {
    await notifier.send({ ...n, env: ctx.env, operator: ctx.operator, version: st.version, logPath: st.log }).catch((e: unknown) => log.warn('fleet.notify_failed', { type: n.type, error: (e as Error).message }));
  };
  const result: Result = (r) => ({ ...r, env: ctx.env, version: st.version, waves: st.waves.map((w) => ({ name: w.name, hosts: w.hosts, status: w.status })), logPath: log.path, resumed: Boolean(opts.resume), hosts });
  const say = (line: string): void => {
    log.info('deploy.output', { line });
    emit({ type: 'line', line });
  };

  if (opts.abort && st.phase !== 'rolling-back') {
    // The wave the abort belongs to: the last one that handed the release to a host.
    const reached = [...st.waves].reverse().find((w) => w.status !== 'pending') ?? st.waves[0]!;
    return trip(ctx, fleet, st, log, byName, save, emit, result, notify, reached, { result: 'breached', polls: 0, gate: 'operator-abort', value: null, threshold: null, unit: '', windowMinutes: 0, reason: `${ctx.operator} aborted the rollout after wave ${reached.name}` }, 'manual');
  }
  // A run killed while rolling back finishes that rollback, and nothing else.
  if (st.phase === 'rolling-back' && st.trip) return rollBack(ctx, fleet, st, log, byName, save, emit, result, notify, st.trip.wave, { result: 'breached', polls: 0, gate: st.trip.gate, reason: st.trip.reason, value: null, threshold: null, unit: '', windowMinutes: 0 });

  for (const wave of st.waves) {
    if (wave.status === 'passed') continue;
    const total = st.waves.length;
    const waveHosts = hostsOf(wave.hosts, byName);
    const releaseHosts = hostsOf(wave.cumulative, byName);
    const baseline = hosts.filter((h) => !wave.cumulative.includes(h.name));
    st.phase = 'running';

    // 1. What each new host runs before (kept before ansible changes anything), then the playbook.
    if (wave.status === 'pending' || wave.status === 'deploying') {
      wave.status = 'deploying';
      emit({ type: 'wave', wave, total, stage: 'deploying', detail: `${list(wave.hosts)} get ${st.version}` });
      log.info('fleet.wave.start', { wave: wave.index, name: wave.name, hosts: wave.hosts, cumulative: wave.cumulative, watch_minutes: wave.watchMinutes });
      for (const h of waveHosts) {
        if (st.hosts.some((x) => x.host === h.name)) continue; // recorded by a run that was killed in this wave
        const before = await fleet.running(h);
        st.hosts.push({ host: h.name, wave: wave.index, from: before?.version ?? null });
        log.info('fleet.host.before', { host: h.name, version: before?.version ?? null, pid: before?.pid ?? null });
      }
      save();
      const t0 = ctx.clock.now();
      try {
        await fleet.deploy(waveHosts, st.version, say);
      } catch (e) {
        if (!(e instanceof RolloutError)) throw e;
        return trip(ctx, fleet, st, log, byName, save, emit, result, notify, wave, { result: 'breached', polls: 0, gate: 'deploy', value: null, threshold: null, unit: '', windowMinutes: 0, reason: e.message });
      }
      // The playbook said it worked: each host must now say so itself (version, then health).
      const checks = await Promise.all(waveHosts.map(async (h) => ({ h, run: await fleet.running(h), health: await waitForHealthy(fleet.hostRunbook(h).health, { consecutive: 1, intervalMs: 250, timeoutMs: fleet.spec.health_timeout_ms, clock: ctx.clock }) })));
      for (const c of checks) log.info('fleet.host.running', { host: c.h.name, version: c.run?.version ?? null, pid: c.run?.pid ?? null, healthy: c.health.ok });
      const wrong = checks.filter((c) => c.run?.version !== st.version || !c.health.ok);
      if (wrong.length) {
        const why = wrong.map((c) => (c.run?.version !== st.version ? `${c.h.name} runs ${c.run?.version ?? 'nothing that answers'}` : `${c.h.name} is not healthy (${c.health.checks.at(-1)?.detail ?? 'no check'})`)).join('; ');
        return trip(ctx, fleet, st, log, byName, save, emit, result, notify, wave, { result: 'breached', polls: 0, gate: 'deploy', value: null, threshold: null, unit: '', windowMinutes: 0, reason: `after the playbook, ${why}` });
      }
      log.info('fleet.wave.deployed', { wave: wave.index, name: wave.name, hosts: wave.hosts, ms: ctx.clock.now() - t0 });
      wave.status = 'watching';
      save();
    }

    // 2. The gates watch every host that runs the release so far.
    emit({ type: 'wave', wave, total, stage: 'watching', detail: `${wave.watchMinutes} min on ${list(wave.cumulative)}${fleet.spec.baseline && baseline.length ? `, against ${list(baseline.map((h) => h.name))} as baseline` : ''}` });
    await testPause(`fleet:watch:${wave.index}`);
    const w = await watchWave({
      fleet, gates: ctx.gates, runbook: ctx.target, clock: ctx.clock, journal: log, env: ctx.env, version: st.version, root: ctx.ws.root, release: releaseHosts, baseline, minutes: wave.watchMinutes, since: Date.parse(st.started_at),
      onPoll: (p) => emit({ type: 'poll', wave: wave.index, seq: p.seq, health: p.health ? (p.health.ok ? 'OK' : `not OK (${p.health.detail})`) : 'n/a', gates: [...p.decisions.map((d) => `${d.gate} ${d.status}`), ...p.baseline.map((b) => `baseline ${b.gate} ${b.status}`)].join(', ') }),
    });
    if (w.result === 'breached') return trip(ctx, fleet, st, log, byName, save, emit, result, notify, wave, w);
    if (w.result === 'inconclusive') {
      st.phase = 'inconclusive';
      save();
      log.warn('fleet.wave.inconclusive', { wave: wave.index, name: wave.name, reason: w.reason });
      emit({ type: 'wave', wave, total, stage: 'inconclusive', detail: w.reason });
      return result({ outcome: 'inconclusive', exitCode: 4, message: `The ${ctx.env} rollout of ${st.version} stopped at wave ${wave.name}: ${w.reason}; ${list(wave.cumulative)} run ${st.version}, the rest are untouched. Watch it again with rollout deploy --env ${ctx.env} --resume.` });
    }
    wave.status = 'passed';
    save();
    log.info('fleet.wave.passed', { wave: wave.index, name: wave.name, hosts: wave.cumulative, polls: w.polls });
    emit({ type: 'wave', wave, total, stage: 'passed', detail: `${w.polls} poll${w.polls === 1 ? '' : 's'}` });

    // 3. Between waves: promote, pause or abort.
    const next = st.waves[wave.index + 1];
    if (!next) break;
    await testPause('fleet:between-waves');
    let choice: Between = opts.autoPromote ? 'promote' : 'pause';
    if (!opts.autoPromote && opts.decide) {
      const status = await fleet.status(hosts);
      choice = await opts.decide(next, status);
    }
    log.info('fleet.decision', { after: wave.name, next: next.name, choice, by: opts.autoPromote ? 'auto-promote' : ctx.operator });
    if (choice === 'pause') {
      st.phase = 'paused';
      save();
      return result({ outcome: 'paused', exitCode: 0, message: `Paused after wave ${wave.name}: ${list(wave.cumulative)} run ${st.version} and passed the gates; ${list(next.cumulative.filter((h) => !wave.cumulative.includes(h)))} ${next.hosts.length === 1 ? 'is' : 'are'} next. Continue with rollout deploy --env ${ctx.env} --resume [--auto-promote], or roll it back with rollout deploy --env ${ctx.env} --abort.` });
    }
    if (choice === 'abort') return trip(ctx, fleet, st, log, byName, save, emit, result, notify, wave, { result: 'breached', polls: 0, gate: 'operator-abort', value: null, threshold: null, unit: '', windowMinutes: 0, reason: `${ctx.operator} aborted the rollout after wave ${wave.name}` }, 'manual');
  }
  st.phase = 'done';
  save();
  rmSync(statePath, { force: true });
  log.info('deploy.done', { version: st.version, fleet: true, waves: st.waves.map((w) => w.name), hosts: hosts.map((h) => h.name) });
  await notify({ type: 'deploy-success', message: `${st.version} runs on all ${hosts.length} hosts of ${ctx.env}; every wave passed its gates.` });
  return result({ outcome: 'promoted', exitCode: 0, message: `Deployed ${st.version} to all ${hosts.length} hosts of ${ctx.env} in ${st.waves.length} wave${st.waves.length === 1 ? '' : 's'} (${st.waves.map((w) => `${w.name}: ${w.hosts.length}`).join(', ')}); every wave passed its gates.` });
}

type Save = () => void;
type Emit = (e: FleetEvent) => void;
type Result = (r: Omit<FleetDeployResult, 'env' | 'version' | 'waves' | 'logPath' | 'resumed' | 'hosts'>) => FleetDeployResult;
type Breach = Extract<WatchEnd, { result: 'breached' }>;
type Notify = (n: Omit<Notification, 'env' | 'operator' | 'version' | 'logPath'>) => Promise<void>;

/** A wave tripped: say so, then roll back every host that got the release. */
async function trip(ctx: EngineContext, fleet: AnsibleFleet, st: FleetState, log: AuditLog, byName: Map<string, FleetHost>, save: Save, emit: Emit, result: Result, notify: Notify, wave: FleetState['waves'][number], b: Breach, kind: 'auto' | 'manual' = 'auto'): Promise<FleetDeployResult> {
  wave.status = 'tripped';
  st.phase = 'rolling-back';
  st.trip = { wave: wave.index, gate: b.gate, reason: b.reason, at: new Date(ctx.clock.now()).toISOString() };
  save();
  log.error('fleet.wave.tripped', { wave: wave.index, name: wave.name, gate: b.gate, value: b.value, threshold: b.threshold, reason: b.reason, hosts: st.hosts.map((h) => h.host) });
  log.warn('fleet.wave.aborted', { wave: wave.index, name: wave.name, cause: kind === 'manual' ? 'operator' : b.gate === 'deploy' ? 'deploy-failed' : 'breach' });
  emit({ type: 'wave', wave, total: st.waves.length, stage: 'tripped', detail: b.reason });
  const hosts = list(st.hosts.map((h) => h.host));
  if (kind === 'auto') await notify({ type: 'gate-breach', message: `${ctx.env} wave ${wave.name}: ${b.reason}`, ...(b.value !== null && b.threshold !== null ? { gate: { name: b.gate, value: b.value, threshold: b.threshold, unit: b.unit, windowMinutes: b.windowMinutes } } : {}) });
  await notify({ type: 'rollback-start', message: `Rolling back ${hosts} of ${ctx.env} (wave ${wave.name} tripped: ${b.gate}).` });
  return rollBack(ctx, fleet, st, log, byName, save, emit, result, notify, wave.index, b, kind);
}

/** Bring every host that got the release back to what it ran before; verify each one. */
async function rollBack(ctx: EngineContext, fleet: AnsibleFleet, st: FleetState, log: AuditLog, byName: Map<string, FleetHost>, save: Save, emit: Emit, result: Result, notify: Notify, waveIndex: number, b: Breach, kind: 'auto' | 'manual' = 'auto'): Promise<FleetDeployResult> {
  const detectedAt = st.trip?.at ?? new Date(ctx.clock.now()).toISOString();
  const wave = st.waves[waveIndex]!;
  await testPause('fleet:rolling-back');
  const targets = st.hosts.map((x) => ({ ...x, h: byName.get(x.host)! }));
  log.warn('fleet.rollback.start', { hosts: targets.map((t) => ({ host: t.host, to: t.from })), trigger: kind, gate: b.gate });
  const before = new Map<string, RunningInstance | undefined>(await Promise.all(targets.map(async (t) => [t.host, await fleet.running(t.h)] as const)));
  const out: HostRollback[] = [];
  // Hosts that ran nothing before cannot be brought back to anything: that is a failed rollback, said per host.
  for (const t of targets.filter((x) => x.from === null)) out.push({ host: t.host, from: st.version, to: null, ok: false, running: before.get(t.host)?.version ?? null, detail: 'it ran no version before this rollout, so there is nothing to bring back' });
  const groups = new Map<string, FleetHost[]>();
  for (const t of targets) if (t.from !== null) groups.set(t.from, [...(groups.get(t.from) ?? []), t.h]);
  const playbookFailed = new Map<string, string>();
  for (const [version, hs] of groups) {
    for (const h of hs) emit({ type: 'rollback', host: h.name, stage: 'playbook', detail: `bringing ${version} back` });
    try {
      await fleet.rollback(hs, version, (line) => {
        log.info('rollback.output', { line });
        emit({ type: 'line', line });
      });
    } catch (e) {
      if (!(e instanceof RolloutError)) throw e;
      for (const h of hs) playbookFailed.set(h.name, e.message);
      log.error('fleet.rollback.playbook_failed', { hosts: hs.map((h) => h.name), version, error: e.message });
    }
  }
  const need = ctx.gates.monitoring.healthOkRequired;
  const verified = await Promise.all(
    targets.filter((t) => t.from !== null).map(async (t) => {
      const hostCtx: EngineContext = { ...ctx, target: fleet.hostRunbook(t.h) };
      const v = await verifyRollback(hostCtx, { running: () => fleet.running(t.h) }, {
        expectVersion: t.from,
        before: before.get(t.host),
        need,
        intervalMs: 250,
        timeoutMs: fleet.spec.health_timeout_ms,
        log,
        stage: (stage, status, detail) => {
          log.info('fleet.rollback.stage', { host: t.host, stage, status, detail });
          if (status !== 'running') emit({ type: 'rollback', host: t.host, stage, detail: `${status}: ${detail}` });
        },
      });
      const detail = v.ok ? `runs ${t.from} in a new process (${v.instance ?? ''}), ${need} OK health checks, ${v.smoke?.results.length ?? 0} smoke checks passed` : `${v.reason ?? 'not verified'}${playbookFailed.has(t.host) ? ` (the playbook failed: ${playbookFailed.get(t.host)})` : ''}`;
      return { host: t.host, from: st.version, to: t.from, ok: v.ok, running: v.running?.version ?? null, detail, healthyAt: v.ok ? v.healthChecks.at(-1)?.at : undefined };
    }),
  );
  for (const v of verified) {
    out.push({ host: v.host, from: v.from, to: v.to, ok: v.ok, running: v.running, detail: v.detail });
    log.write(v.ok ? 'info' : 'error', 'fleet.rollback.host', { host: v.host, to: v.to, ok: v.ok, running: v.running, detail: v.detail });
  }
  const ok = out.every((r) => r.ok);
  const names = out.map((r) => r.host);
  const untouched = st.waves.flatMap((w) => w.hosts).filter((h) => !names.includes(h));
  st.phase = ok ? 'rolled-back' : 'rollback-failed';
  save();
  const healthyAt = verified.map((v) => v.healthyAt).filter((x): x is number => x !== undefined).sort((a, c) => a - c).at(-1);
  const failed = out.filter((r) => !r.ok);
  const error = ok ? undefined : `ROLLBACK FAILED: ${failed.map((r) => `${ctx.env} host ${r.host} still runs ${r.running ?? 'nothing that answers'}${r.to ? ` (expected ${r.to})` : ''}: ${r.detail.replace(/\.$/, '')}`).join('; ')}.`;
  const inc = await openIncident(ctx.ws, {
    env: ctx.env,
    trigger: kind === 'auto' ? { kind: 'auto', gate: b.gate, ...(b.value !== null ? { value: b.value } : {}), ...(b.threshold !== null ? { threshold: b.threshold } : {}), ...(b.unit ? { unit: b.unit } : {}), window_minutes: b.windowMinutes, reason: b.reason } : { kind: 'manual', operator: ctx.operator, reason: b.reason },
    detected_at: detectedAt,
    ...(healthyAt !== undefined ? { healthy_at: new Date(healthyAt).toISOString() } : {}),
    rollback_ok: ok,
    outcome: ok ? 'rolled-back' : 'rollback-failed',
    version_before: st.version,
    ...(groups.size === 1 ? { backup_version: [...groups.keys()][0]!, version_after: out.every((r) => r.running === out[0]?.running) && out[0]?.running ? out[0].running : undefined } : {}),
    ...(error ? { error } : {}),
    smoke_ok: ok,
    wave: wave.name,
    hosts: out.map((r) => ({ host: r.host, rolled_back_to: r.to, running: r.running, ok: r.ok, detail: r.detail })),
    untouched_hosts: untouched,
    logs: [log.path],
  });
  log.write(ok ? 'info' : 'error', 'fleet.rollback.done', { ok, hosts: names, untouched, incident: inc.id });
  log.write('error', 'deploy.failed', { version: st.version, fleet: true, wave: wave.name, reason: b.reason, rolled_back: ok, incident: inc.id });
  const why = kind === 'manual' ? b.reason : `${b.gate} breached in wave ${wave.name} (${b.reason.replace(/\.$/, '')})`;
  const message = ok
    ? `${kind === 'manual' ? `${ctx.env}: ${why}` : `${ctx.env} wave ${wave.name} tripped: ${why}`}; rolled back ${list(names)} (${out.map((r) => `${r.host} runs ${r.running}`).join(', ')}; health and smoke checks pass on each)${untouched.length ? `; ${list(untouched)} never got ${st.version}` : ''} (incident ${inc.id}).`
    : `${error} The rollout stopped at wave ${wave.name} because ${why} (incident ${inc.id}).`;
  await notify({ type: ok ? 'rollback-success' : 'rollback-failure', message, incidentId: inc.id });
  return result({ outcome: ok ? 'rolled-back' : 'rollback-failed', exitCode: 1, message, rollback: out, incidentId: inc.id });
}
