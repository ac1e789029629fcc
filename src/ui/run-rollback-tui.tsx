// `rollout rollback --env E` in a terminal: the on-call screen over the same rollback engine as the
// headless command. The backup shown in the confirmation is exactly the one restored.
import React from 'react';
import { render } from 'ink';
import type { EngineContext } from '../config/engine-context.js';
import { OnCallRollback, type OnCallServices } from './OnCallRollback.js';
import { enterFullScreen } from './full-screen.js';
import { terminalSafe } from '../domain/terminal-text.js';

/** Services of the on-call screen: the offer (running version, verified backups, or just --backup), then rollback(). */
export async function onCallServices(ctx: EngineContext, backupArg: string | undefined, command: string): Promise<OnCallServices> {
  const { rollbackOffer, runningVersion } = await import('../usecases/rollback-offer.js');
  const { rollback } = await import('../usecases/rollback.js');
  return {
    offer: () => rollbackOffer(ctx, backupArg),
    runningVersion: () => runningVersion(ctx),
    rollback: async (backup, onStage) => {
      const out = await rollback(ctx, { force: true, dryRun: false, backup, command, onStage: (s) => onStage({ name: s.name, status: s.status, detail: s.detail }) });
      for (const h of out.healthChecks) onStage({ name: 'health-check', detail: `${h.ok ? 'OK' : 'not OK'}: ${h.detail}` });
      return {
        ok: out.ok,
        exitCode: out.exitCode,
        ...(out.noop ? { noop: true } : {}),
        message: out.noop ? (out.message ?? 'nothing to do') : out.ok ? `restored ${out.backup ?? 'the backup'} (version ${out.version ?? 'unknown'}; ${out.previousVersion ?? 'unknown'} ran before); the target runs ${out.runningVersion ?? 'unknown'}; log ${out.logFile ?? ''}` : (out.error ?? 'the rollback failed'),
        ...(out.incidentId ? { incidentId: out.incidentId } : {}),
      };
    },
  };
}

/** Run the on-call screen; returns the exit code (3 when not confirmed). */
export async function runRollbackTui(ctx: EngineContext, backupArg: string | undefined, command: string): Promise<number> {
  const inner = await onCallServices(ctx, backupArg, command);
  let started = false;
  const services: OnCallServices = {
    ...inner,
    rollback: (b, on) => {
      started = true;
      return inner.rollback(b, on);
    },
  };
  let code = 3;
  let closing: string | undefined;
  const screen = enterFullScreen();
  const app = render(
    <OnCallRollback
      env={ctx.env}
      production={ctx.production}
      services={services}
      onExit={(c, text) => {
        code = c;
        closing = text;
        app.unmount();
      }}
    />,
    { exitOnCtrlC: false },
  );
  // A signal before the confirmation leaves with nothing changed; during the rollback it runs on
  // to the end (the engine's journal would otherwise make the next run finish it).
  const onSignal = (): void => {
    if (!started) app.unmount();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    await app.waitUntilExit();
  } finally {
    screen.restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  if (screen.active && closing) process.stdout.write(terminalSafe(`${closing}\n`));
  if (code === 3) process.stderr.write(terminalSafe(`rollout: rollback of ${ctx.env} not confirmed; nothing was changed.\n`));
  return code;
}
