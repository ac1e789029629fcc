// Starts the Ink TUI: loads the workspace's runbooks, remembers the operator and last choices with
// conf, and wires the screens to the runner and the engines. Ctrl-C, SIGTERM and SIGHUP stop the
// walk after its current step (the engines finish or revert it), so no environment is left locked
// or half-changed; the process exits only once the walk has settled.
import React from 'react';
import { render } from 'ink';
import { join } from 'node:path';
import { App, type TuiServices } from './App.js';
import type { RunbookChoice } from './home-state.js';
import { selection } from './home-state.js';
import { runbookChoice } from './runbook-choice.js';
import { listRunbooks, resolveRunbookPath } from '../config/runbook-files.js';
import type { CommandContext } from '../cli/context.js';
import { loadPrefs, savePrefs } from './prefs.js';
import type { EngineContext } from '../config/engine-context.js';
import { engineContextOf } from '../config/engine-context-of.js';
import { readCached, writeCached } from '../config/cached-context.js';
import { RunbookRunner, readRunState } from '../usecases/runner.js';
import { lazyEngines, type LiveSession, type RunnerEngines } from '../usecases/runner-engines.js';
import { newestBackup } from '../usecases/runner-checklist.js';
import { MonitorFeed, type MonitorLike } from './monitor-feed.js';
import type { MonitorActions } from './Monitor.js';
import type { PromptBroker } from './prompt-broker.js';
import { enterFullScreen } from './full-screen.js';
import { terminalSafe } from '../domain/terminal-text.js';

type EngineModule = typeof import('../config/engine-context.js');
let engineModule: EngineModule | undefined;
/** The validating loader (yaml, zod): loaded before the first frame only when the config cache cannot serve it. */
async function loadEngineModule(): Promise<EngineModule> {
  return (engineModule ??= await import('../config/engine-context.js'));
}

/**
 * The home screen's runbooks, from the config cache when every runbook's entry is current (no yaml
 * or zod before the first frame); otherwise validated as before (and cached for the next start).
 */
async function homeRunbooks(ws: CommandContext['workspace']): Promise<RunbookChoice[]> {
  const files = listRunbooks(ws.runbooksDir);
  const hits = files.map((f) => readCached(ws, join(ws.runbooksDir, f)));
  if (hits.every((h) => h !== undefined)) return hits.map((h, i) => runbookChoice(h!.runbook, files[i]!));
  await loadEngineModule();
  const choices = (await import('./runbook-choices.js')).runbookChoices(ws.runbooksDir);
  // Cache what validates with the config, for this screen and the walk's context next time; an
  // invalid config is reported when a walk starts, as before.
  const [{ parseGatesConfig }, { loadRunbook }, { readConfigText }] = await Promise.all([import('../config/gates.js'), import('../config/runbook.js'), import('../config/locate.js')]);
  try {
    const text = readConfigText(ws.configPath, 'quality-gates-config.json');
    const config = parseGatesConfig(text, 'quality-gates-config.json');
    for (const f of files) {
      const read: { path: string; text: string }[] = [];
      const rb = loadRunbook(join(ws.runbooksDir, f), `runbooks/${f}`, read);
      writeCached(ws, [{ path: ws.configPath, text }, ...read], config, rb);
    }
  } catch {
    /* not cached: the walk validates (and reports) when it starts */
  }
  return choices;
}

/** The context of a walk: from the config cache when current, else validated (the loader is in memory by then). */
function tuiContext(ws: CommandContext['workspace'], runbook: string, env: string, operator: string): EngineContext {
  const hit = readCached(ws, resolveRunbookPath(ws.runbooksDir, runbook));
  if (hit) return engineContextOf(ws, env, hit.config, hit.runbook, { operator });
  // Loaded right after the first frame; a walk cannot be started sooner than a key press after it.
  if (!engineModule) throw new Error('the configuration loader is still starting; press the key again');
  return engineModule.loadEngineContext(ws, env, { runbook, operator });
}

/** The monitor screen's actions through the services: what a rollback could restore, what runs now, a test notification. */
export async function monitorActionsFor(ctx: EngineContext): Promise<MonitorActions> {
  const { rollbackOffer, runningVersion } = await import('../usecases/rollback-offer.js');
  const { sendNotification } = await import('../usecases/runner-wiring.js');
  return {
    offer: () => rollbackOffer(ctx),
    runningVersion: () => runningVersion(ctx),
    sendTest: async () => (await sendNotification(ctx, { type: 'test', message: `Test notification from the ${ctx.env} monitor screen (operator ${ctx.operator}).`, dryRun: false })).summary,
  };
}

/** Real services for the app; `training` are the engines of a training walk (the monitor step is a drill). */
export function tuiServices(ws: CommandContext['workspace'], engines: RunnerEngines, training: RunnerEngines, actions: (ctx: EngineContext) => MonitorActions, track: TuiServices['running']): TuiServices {
  const feeds = new WeakMap<object, MonitorFeed>();
  return {
    context: (runbook, env, operator) => tuiContext(ws, runbook, env, operator),
    versions: async (ctx) => {
      const [available, current] = await Promise.all([engines.availableVersions(ctx).catch(() => []), engines.currentVersion(ctx).catch(() => undefined)]);
      return { available, ...(current ? { current } : {}) };
    },
    runner: (ctx, o) => {
      // The demo set-up is a walk of its own: deploy 1.0.0, then a first backup, journaled like any walk.
      const c: EngineContext = o.setup ? { ...ctx, runbook: { ...ctx.runbook, name: 'demo-setup', title: 'Demo set-up', steps: [{ id: 'deploy', type: 'deploy', optional: false, title: `Deploy ${o.version ?? '1.0.0'}` }, { id: 'backup', type: 'backup', optional: false, title: 'First backup' }] } } : ctx;
      // Training: the monitor step is a drill on a scenario timeline, 60 times faster.
      const eng = o.dryRun && !o.setup ? training : engines;
      const r = new RunbookRunner(c, { engines: eng, prompts: o.broker, dryRun: o.dryRun, ...(o.version ? { version: o.version } : {}), yes: Boolean(o.setup), command: o.setup ? 'rollout (TUI demo set-up)' : 'rollout (TUI)', face: 'tui', ...(o.resume ? { resume: true } : {}) });
      r.subscribe((e) => {
        // Subscribe to a live monitor the moment it exists, so its first events are kept.
        if (e.type === 'session' && e.session.kind === 'monitor' && !feeds.has(e.session.handle as object)) feeds.set(e.session.handle as object, new MonitorFeed(e.session.handle as MonitorLike, c.env, o.version));
      });
      return r;
    },
    feed: (s: LiveSession) => feeds.get(s.handle as object),
    monitorActions: actions,
    interrupted: (ctx) => {
      const st = readRunState(ctx);
      return st && !st.finished && st.result === 'interrupted' ? st : undefined;
    },
    savePrefs: (s) => {
      const sel = selection(s);
      // Training is never the remembered mode: the next start must not come up in a drill unasked.
      savePrefs({ operator: s.operator, ...(sel.runbook ? { runbook: sel.runbook.name } : {}), ...(sel.env ? { env: sel.env } : {}), mode: sel.mode === 'training' ? 'live' : sel.mode });
    },
    running: track,
  };
}

/** Run the TUI until the operator quits; returns the exit code. */
export async function runTui(ctx: CommandContext): Promise<number> {
  const ws = ctx.workspace;
  const runbooks = await homeRunbooks(ws);
  // A drill is never resumed as the default mode, even from an older prefs file.
  const { mode: rememberedMode, ...rest } = loadPrefs();
  const prefs = rememberedMode && rememberedMode !== 'training' ? { ...rest, mode: rememberedMode } : rest;
  const wiring = (): Promise<typeof import('../usecases/runner-wiring.js')> => import('../usecases/runner-wiring.js');
  const engines = lazyEngines(async () => (await wiring()).realEngines(), newestBackup);
  const training = lazyEngines(async () => {
    const w = await wiring();
    return w.withTrainingMonitor(w.realEngines(), { speed: 60 });
  }, newestBackup);
  let current: { runner?: RunbookRunner; broker?: PromptBroker; result?: Promise<{ exitCode: number }> } = {};
  const actionsCache = new Map<string, MonitorActions>();
  const actions = (c: EngineContext): MonitorActions => {
    const key = `${c.runbook.name}/${c.env}`;
    let a = actionsCache.get(key);
    if (!a) {
      const p = monitorActionsFor(c);
      a = { offer: async () => (await p).offer(), runningVersion: async () => (await p).runningVersion(), sendTest: async () => (await p).sendTest() };
      actionsCache.set(key, a);
    }
    return a;
  };
  const services = tuiServices(ws, engines, training, actions, (runner, broker, result) => {
    current = { ...(runner ? { runner } : {}), ...(broker ? { broker } : {}), ...(result ? { result } : {}) };
  });
  let code = 0;
  const stop = (): void => {
    current.runner?.abort();
    current.broker?.cancel();
  };
  let closing: string | undefined;
  const screen = enterFullScreen();
  const app = render(
    <App
      runbooks={runbooks}
      remembered={prefs}
      workspace={ws.root}
      services={services}
      onExit={(c, text) => {
        code = c;
        closing = text;
      }}
    />,
    { exitOnCtrlC: false },
  );
  // The validating loader, for a walk whose files changed since they were cached: right after render().
  setImmediate(() => void loadEngineModule().catch(() => undefined));
  // Warm the engines up once the first frame is out (Ink draws it a moment after render()).
  const warm = setTimeout(() => void wiring().catch(() => undefined), 400);
  const onSignal = (): void => {
    stop();
    // With no walk running there is nothing to finish: leave at once; else leave once it settled.
    if (!current.runner || !current.result) app.unmount();
    else void current.result.finally(() => app.unmount());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    await app.waitUntilExit();
    // A walk still running (quit from a finished screen cannot happen; a signal can): let it settle.
    if (current.runner && current.result) {
      stop();
      await current.result.catch(() => undefined);
    }
  } finally {
    screen.restore();
    if (screen.active && closing) process.stdout.write(terminalSafe(`${closing}\n`));
    clearTimeout(warm);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  return code;
}
