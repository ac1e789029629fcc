// `rollout monitor --env E` in a terminal: the monitor screen over the same Monitor the headless
// command runs. Quitting while the window runs stops the monitor (its journal stays resumable).
import React from 'react';
import { render } from 'ink';
import type { EngineContext } from '../config/engine-context.js';
import type { MonitorHandle } from '../usecases/monitor-wiring.js';
import { MonitorScreen } from './Monitor.js';
import { MonitorFeed } from './monitor-feed.js';
import { monitorActionsFor } from './run-tui.js';
import { enterFullScreen } from './full-screen.js';
import { terminalSafe } from '../domain/terminal-text.js';

/** Run the monitor with its screen until the operator quits; returns the monitor's exit code. */
export async function runMonitorTui(ctx: EngineContext, handle: Pick<MonitorHandle, 'monitor' | 'run'>, opts: { openOnRollback?: boolean } = {}): Promise<number> {
  const { monitor } = handle;
  const { deployedVersion } = await import('../usecases/service.js');
  const version = await deployedVersion(ctx);
  const feed = new MonitorFeed(monitor, ctx.env, version);
  const actions = await monitorActionsFor(ctx);
  const screen = enterFullScreen();
  const app = render(<MonitorScreen feed={feed} production={ctx.production} training={false} actions={actions} onQuit={() => app.unmount()} {...(opts.openOnRollback ? { openOnRollback: true } : {})} />, { exitOnCtrlC: false });
  // Ctrl-C (raw mode delivers it as a key; a signal from outside too) stops the monitor, then leaves.
  const stop = (): void => {
    monitor.stop();
    app.unmount();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  const run = handle.run();
  try {
    await app.waitUntilExit();
    monitor.stop();
    const summary = await run;
    return summary.exitCode;
  } finally {
    screen.restore();
    // The outcome stays in the shell once the full screen is gone.
    const st = feed.state;
    if (screen.active && st.done) process.stdout.write(terminalSafe(`${st.done.message}${st.runsNow !== undefined ? ` ${ctx.env} now runs ${st.runsNow ?? 'an unknown version'}.` : ''}\n`));
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
    feed.close();
  }
}
