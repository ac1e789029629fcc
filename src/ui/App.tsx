// The TUI's screens in order: home, the demo set-up offer on a fresh checkout, the release choice,
// the walk (which turns into the monitor screen during the monitor step). All work goes through
// the runner and the engines (TuiServices); this file only decides which screen shows.
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Box, useApp } from 'ink';
import { Text } from './Text.js';
import { useDialog, useKeymap } from './use-keys.js';
import { outcomeOfError } from '../domain/outcome.js';
import { APP_KEYS, DEMO_KEYS, ERROR_KEYS, RELEASE_KEYS, RESUME_KEYS, SETUP_DONE_KEYS, TYPED_CONFIRM_KEYS, hintFor, hintLine, keyFor } from './keymap.js';
import Spinner from 'ink-spinner';
import { Home } from './Home.js';
import { selection, type HomeState, type RunbookChoice } from './home-state.js';
import { Walk } from './Walk.js';
import { MonitorScreen } from './Monitor.js';
import { RollbackPanel } from './RollbackPanel.js';
import { PromptBroker } from './prompt-broker.js';
import { initialWalk } from './walk-state.js';
import { Banner } from './Banner.js';
import { TypedConfirm } from './TypedConfirm.js';
import { TuneView } from './Tune.js';
import { tuneActions } from './tune-actions.js';
import { resumeCommand, type RunbookRunner, type RunState } from '../usecases/runner.js';
import type { EngineContext } from '../config/engine-context.js';
import type { LiveSession } from '../usecases/runner-engines.js';
import type { MonitorFeed } from './monitor-feed.js';
import type { MonitorActions } from './Monitor.js';

/** What the app asks of the services (wired in run-tui.tsx; faked in tests). */
export interface TuiServices {
  context(runbook: string, env: string, operator: string): EngineContext;
  versions(ctx: EngineContext): Promise<{ available: string[]; current?: string }>;
  /** A runner for a walk; `setup` walks the demo set-up (deploy 1.0.0, first backup) instead of the runbook. */
  runner(ctx: EngineContext, o: { dryRun: boolean; version?: string; broker: PromptBroker; setup?: boolean; resume?: boolean }): RunbookRunner;
  /** The feed of a monitor session (created the moment the runner reported it). */
  feed(session: LiveSession): MonitorFeed | undefined;
  monitorActions(ctx: EngineContext): MonitorActions;
  savePrefs(s: HomeState): void;
  /** The journal of an interrupted walk of this runbook on this environment, if any. */
  interrupted(ctx: EngineContext): RunState | undefined;
  /** The tune view's load and write (tests replace them; default: the tune use case on the workspace). */
  tune?(ctx: EngineContext): ReturnType<typeof tuneActions>;
  /** Register the walk that runs now, so that Ctrl-C and signals stop it safely. */
  running(r: RunbookRunner | undefined, broker: PromptBroker | undefined, result?: Promise<{ exitCode: number }>): void;
}

type Phase =
  | { kind: 'home' }
  | { kind: 'loading'; text: string }
  | { kind: 'demo'; ctx: EngineContext; training: boolean; operator: string }
  | { kind: 'resume'; ctx: EngineContext; training: boolean; operator: string; state: RunState }
  | { kind: 'release'; ctx: EngineContext; training: boolean; operator: string; available: string[]; current?: string; cursor: number }
  | { kind: 'walk'; ctx: EngineContext; training: boolean; operator: string; runner: RunbookRunner; broker: PromptBroker; setup: boolean; version?: string }
  | { kind: 'tune'; ctx: EngineContext; actions: ReturnType<typeof tuneActions> }
  | { kind: 'error'; message: string };

export interface AppProps {
  runbooks: RunbookChoice[];
  remembered: { runbook?: string; env?: string; mode?: string; operator?: string };
  workspace: string;
  services: TuiServices;
  /** The exit code, and a closing sentence to print once the full screen is left. */
  onExit: (code: number, closing?: string) => void;
}

const DEMO_VERSION = '1.0.0';

function DemoOffer({ ctx, onAnswer }: { ctx: EngineContext; onAnswer: (a: 'setup' | 'skip' | 'quit') => void }): React.JSX.Element {
  // Production asks for its name to be typed, as every change there does: the typed confirmation
  // is then the dialog (one dialog at a time: a parent's focus would be taken after its child's).
  const layer = useDialog(!ctx.production);
  useKeymap(
    DEMO_KEYS,
    (a) => {
      onAnswer(a === 'accept' ? 'setup' : a === 'decline' ? 'skip' : 'quit');
      return true;
    },
    { isActive: !ctx.production, layer },
  );
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Nothing is deployed on {ctx.env} yet.</Text>
      <Text wrap="wrap">
        Set the demo up? This deploys release {DEMO_VERSION} of the embedded dhash service on {ctx.target.target.kind === 'local' ? `127.0.0.1:${ctx.target.target.port}` : ctx.env} and takes a first verified backup, through the same deploy and backup engines as npx rollout deploy and npx rollout backup.
      </Text>
      <Text wrap="wrap">Then walk a rollout of 1.1.0 (healthy), or of a 1.2.0-* release to watch the automatic rollback.</Text>
      {ctx.production ? (
        <TypedConfirm expected={ctx.env} verb="set it up" extra={`${keyFor(TYPED_CONFIRM_KEYS, 'submit')} alone to skip`} onConfirm={() => onAnswer('setup')} onEmpty={() => onAnswer('skip')} onCancel={() => onAnswer('quit')} />
      ) : (
        <Text dimColor>{hintLine(DEMO_KEYS)}</Text>
      )}
    </Box>
  );
}

/** An interrupted walk found in the journal: resume it, or start a new one. */
function ResumeOffer({ state, onAnswer }: { state: RunState; onAnswer: (a: 'resume' | 'new' | 'quit') => void }): React.JSX.Element {
  const layer = useDialog();
  useKeymap(
    RESUME_KEYS,
    (a) => {
      onAnswer(a === 'accept' ? 'resume' : a === 'decline' ? 'new' : 'quit');
      return true;
    },
    { layer },
  );
  const at = state.steps.find((x) => x.status !== 'done' && x.status !== 'skipped');
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>
        An interrupted walk of {state.runbook} on {state.env} was found.
      </Text>
      <Text wrap="wrap">
        Started {state.startedAt} by {state.operator}
        {state.version ? `, deploying ${state.version}` : ''}
        {state.dryRun ? ' (dry-run)' : ''}; it stopped at step "{at?.id ?? '?'}" ({state.result ?? 'interrupted'}). Steps done: {state.steps.filter((x) => x.status === 'done').map((x) => x.id).join(', ') || 'none'}.
      </Text>
      <Text dimColor>{hintLine(RESUME_KEYS)}</Text>
    </Box>
  );
}

function ReleaseChoice({ p, onPick, onBack }: { p: Extract<Phase, { kind: 'release' }>; onPick: (v: string) => void; onBack: () => void }): React.JSX.Element {
  const [cursor, setCursor] = useState(p.cursor);
  // A ref as well as state: "jjj⏎" in one chunk moves three and then picks where it landed.
  const at = useRef(p.cursor);
  useKeymap(RELEASE_KEYS, (a) => {
    if (a === 'up' || a === 'down') {
      at.current = (at.current + (a === 'up' ? p.available.length - 1 : 1)) % p.available.length;
      setCursor(at.current);
      return;
    }
    if (a === 'pick') onPick(p.available[at.current]!);
    else onBack();
    return true;
  });
  return (
    <Box flexDirection="column">
      <Text bold>
        Release to roll out on {p.ctx.env}
        {p.current ? ` (deployed now: ${p.current})` : ' (nothing deployed)'}
      </Text>
      {p.available.map((v, i) => (
        <Text key={v} inverse={i === cursor} color={/^1\.2\.0-/.test(v) && !p.training ? 'yellow' : undefined}>
          {i === cursor ? '> ' : '  '}
          {v}
          {v === p.current ? ' (deployed)' : ''}
          {v === p.ctx.target.default_version ? ' (runbook default)' : ''}
          {/^1\.2\.0-/.test(v) && !p.training ? ' — a bad release: watch the gates trip and the automatic rollback' : ''}
        </Text>
      ))}
      <Text dimColor>{hintLine(RELEASE_KEYS)}</Text>
    </Box>
  );
}

/** The whole TUI. */
export function App({ runbooks, remembered, workspace, services, onExit }: AppProps): React.JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'home' });
  const [prefs, setPrefs] = useState(remembered);
  const { exit } = useApp();
  const quit = useCallback(
    (code: number, closing?: string) => {
      onExit(code, closing);
      exit();
    },
    [onExit, exit],
  );

  const startWalk = useCallback(
    (ctx: EngineContext, training: boolean, operator: string, o: { version?: string; setup?: boolean; resume?: boolean }) => {
      const broker = new PromptBroker();
      let runner: RunbookRunner;
      try {
        runner = services.runner(ctx, { dryRun: training && !o.setup, ...(o.version ? { version: o.version } : {}), broker, ...(o.setup ? { setup: true } : {}), ...(o.resume ? { resume: true } : {}) });
      } catch (e) {
        setPhase({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
        return;
      }
      setPhase({ kind: 'walk', ctx, training: training && !o.setup, operator, runner, broker, setup: Boolean(o.setup), ...(o.version ? { version: o.version } : {}) });
    },
    [services],
  );

  const chooseRelease = useCallback(
    async (ctx: EngineContext, training: boolean, operator: string) => {
      setPhase({ kind: 'loading', text: `Listing the releases of ${ctx.env}…` });
      try {
        const v = await services.versions(ctx);
        const def = ctx.target.default_version;
        const cursor = Math.max(0, v.available.indexOf(def ?? ''));
        if (!ctx.runbook.steps.some((s) => s.type === 'deploy') || v.available.length === 0) return startWalk(ctx, training, operator, {});
        setPhase({ kind: 'release', ctx, training, operator, available: v.available, ...(v.current ? { current: v.current } : {}), cursor });
      } catch (e) {
        setPhase({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    },
    [services, startWalk],
  );

  const onHome = useCallback(
    (s: HomeState) => {
      services.savePrefs(s);
      const sel = selection(s);
      setPrefs({ operator: s.operator, ...(sel.runbook ? { runbook: sel.runbook.name } : {}), ...(sel.env ? { env: sel.env } : {}), mode: sel.mode });
      if (s.done === 'quit' || !sel.runbook || !sel.env) return quit(0);
      const training = sel.mode === 'training';
      let ctx: EngineContext;
      try {
        ctx = services.context(sel.runbook.name, sel.env, s.operator);
      } catch (e) {
        setPhase({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
        return;
      }
      if (s.done === 'tune') return setPhase({ kind: 'tune', ctx, actions: services.tune?.(ctx) ?? tuneActions(ctx) });
      const st = services.interrupted(ctx);
      if (st) return setPhase({ kind: 'resume', ctx, training: st.dryRun, operator: s.operator, state: st });
      setPhase({ kind: 'loading', text: `Looking at ${sel.env}…` });
      services.versions(ctx).then(
        (v) => {
          if (!v.current && ctx.target.target.kind === 'local' && ctx.runbook.kind === 'rollout') setPhase({ kind: 'demo', ctx, training, operator: s.operator });
          else void chooseRelease(ctx, training, s.operator);
        },
        (e: unknown) => setPhase({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
      );
    },
    [services, quit, chooseRelease],
  );

  useEffect(() => {
    if (phase.kind !== 'walk') return services.running(undefined, undefined);
    const result = phase.runner.run();
    // A walk that cannot start (a usage error) or a bug: one sentence on screen, never a stack over it.
    result.catch((e: unknown) => setPhase({ kind: 'error', message: outcomeOfError(e).sentence ?? 'the walk stopped' }));
    services.running(phase.runner, phase.broker, result);
  }, [phase, services]);

  // Ctrl-C outside a walk quits, unless a dialog has the focus (it cancels there); the walk handles its own.
  useKeymap(APP_KEYS, () => quit(0), { isActive: phase.kind !== 'walk' });
  useKeymap(ERROR_KEYS, () => setPhase({ kind: 'home' }), { isActive: phase.kind === 'error' });

  switch (phase.kind) {
    case 'home':
      return <Home runbooks={runbooks} remembered={prefs} workspace={workspace} onDone={onHome} />;
    case 'tune':
      return <TuneView env={phase.ctx.env} production={phase.ctx.production} configName={phase.actions.configName} load={phase.actions.load} write={phase.actions.write} onBack={() => setPhase({ kind: 'home' })} />;
    case 'loading':
      return (
        <Text>
          <Spinner type="dots" /> {phase.text}
        </Text>
      );
    case 'error':
      return (
        <Box flexDirection="column">
          <Text color="red" wrap="wrap">
            {phase.message}
          </Text>
          <Text dimColor>{hintFor(ERROR_KEYS, 'back')}</Text>
        </Box>
      );
    case 'demo':
      return (
        <DemoOffer
          ctx={phase.ctx}
          onAnswer={(a) => {
            if (a === 'quit') quit(0);
            else if (a === 'skip') void chooseRelease(phase.ctx, phase.training, phase.operator);
            else startWalk(phase.ctx, false, phase.operator, { setup: true, version: DEMO_VERSION });
          }}
        />
      );
    case 'resume':
      return (
        <ResumeOffer
          state={phase.state}
          onAnswer={(a) => {
            if (a === 'quit') quit(0);
            else if (a === 'resume') startWalk(phase.ctx, phase.state.dryRun, phase.operator, { resume: true, ...(phase.state.version ? { version: phase.state.version } : {}) });
            else void chooseRelease(phase.ctx, phase.training, phase.operator);
          }}
        />
      );
    case 'release':
      return (
        <Box flexDirection="column">
          <Banner training={phase.training} production={phase.ctx.production} env={phase.ctx.env} dryRun={phase.training} />
          <ReleaseChoice p={phase} onPick={(v) => startWalk(phase.ctx, phase.training, phase.operator, { version: v })} onBack={() => setPhase({ kind: 'home' })} />
        </Box>
      );
    case 'walk': {
      const p = phase;
      return (
        <Walk
          key={`${p.ctx.env}-${p.setup}-${p.version ?? ''}`}
          runner={p.runner}
          broker={p.broker}
          training={p.training}
          operator={p.operator}
          initial={initialWalk({ env: p.ctx.env, runbook: p.setup ? 'demo set-up' : p.ctx.runbook.name, dryRun: p.training, production: p.ctx.production, steps: p.runner.ctx.runbook.steps, ...(p.version ? { version: p.version } : {}) })}
          renderSession={(session, _walk, finished) => {
            const feed = services.feed(session);
            // Once the walk is over, what the monitor did stays on screen when it rolled back.
            if (finished)
              return feed?.state.rollback ? (
                <Box flexDirection="column">
                  <RollbackPanel s={feed.state.rollback} env={p.ctx.env} animate={false} showDone={false} compact />
                  {feed.state.runsNow !== undefined ? (
                    <Text bold>
                      {p.ctx.env} now runs {feed.state.runsNow ?? 'an unknown version (the target did not say)'}.
                    </Text>
                  ) : null}
                </Box>
              ) : null;
            if (!feed) return <Text>Live {session.kind}…</Text>;
            // Training asks for the typed environment name, exactly as production does: the drill
            // practises the one thing that matters on the real day.
            return <MonitorScreen feed={feed} production={p.ctx.production || p.training} training={p.training} actions={services.monitorActions(p.ctx)} onQuit={() => p.runner.abort()} reservedRows={5} showBanner={false} resumeHint={`Resume the walk: start the TUI again, or npx ${resumeCommand(p.ctx.runbook.name, p.ctx.env, p.runner.dryRun)}`} {...(feed.monitor.now ? { now: feed.monitor.now } : {})} />;
          }}
          {...(p.setup ? { done: { text: `The demo is set up: ${p.ctx.env} runs ${DEMO_VERSION} with a verified backup.`, keys: SETUP_DONE_KEYS } } : {})}
          onQuit={(s) => {
            if (p.setup && s.finished?.status === 'ok') void chooseRelease(services.context(p.ctx.runbook.name, p.ctx.env, p.operator), p.training, p.operator);
            else {
              // What the walk ended with stays in the shell once the full screen is gone.
              const runs = services.feed(s.session ?? ({ handle: {} } as LiveSession))?.state.runsNow;
              const said = s.finished?.message ?? (s.finished?.status === 'ok' ? `The walk of ${p.setup ? 'the demo set-up' : p.ctx.runbook.name} on ${p.ctx.env} went through${p.training ? ' (training: nothing was changed)' : ''}.` : undefined);
              const drill = p.training ? s.steps.find((x) => x.summary?.includes('SCORE'))?.summary : undefined;
              const closing = [said, drill, runs !== undefined ? `${p.ctx.env} now runs ${runs ?? 'an unknown version'}.` : undefined].filter(Boolean).join(' ');
              quit(s.finished?.exitCode ?? 0, closing || undefined);
            }
          }}
        />
      );
    }
  }
}
