// The on-call fast path: `rollout rollback --env E` in a terminal opens straight on the rollback
// confirmation (running → restoring, the backup's age, the other verified backups to pick from);
// after y (production: the typed env name) the rollback screen follows each stage. Nothing changes
// before the confirmation. Once over, the header and the closing line say what runs now, read back
// from the target.
import React, { useEffect, useReducer, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import { useKeymap } from './use-keys.js';
import { Banner } from './Banner.js';
import { RollbackConfirm, RollbackPanel, rollbackPanelRows, type OfferState } from './RollbackPanel.js';
import { useTerminalSize } from './use-terminal-size.js';
import { DONE_KEYS, hintLine } from './keymap.js';
import { initialRollback, rollbackReducer, type StageReport } from './rollback-state.js';
import type { RollbackOffer } from '../usecases/rollback-offer.js';

/** What the screen does through the rollback engine. */
export interface OnCallServices {
  /** What runs now and the verified backups to choose from, or throws. */
  offer: () => Promise<RollbackOffer>;
  /** Run the rollback of exactly this backup; stage reports as it goes. */
  rollback: (backup: string, onStage: (r: StageReport) => void) => Promise<{ ok: boolean; message: string; incidentId?: string; exitCode: number; noop?: boolean }>;
  /** The version the target runs now (read after the rollback). */
  runningVersion: () => Promise<string | undefined>;
}

export interface OnCallProps {
  env: string;
  production: boolean;
  services: OnCallServices;
  /** Called with the exit code (and, once a rollback ran, a closing sentence) when the operator leaves. */
  onExit: (code: number, closing?: string) => void;
  now?: () => number;
}

type Phase = ({ kind: 'confirm' } & OfferState) | { kind: 'running'; file: string } | { kind: 'done'; file: string; code: number; ok: boolean; runs?: string };

/** The on-call rollback screen. */
export function OnCallRollback({ env, production, services, onExit, now = Date.now }: OnCallProps): React.JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'confirm', loading: true });
  const [running, setRunning] = useState<string | undefined>(undefined);
  const [rb, dispatch] = useReducer(rollbackReducer, undefined, () => initialRollback({ trigger: 'manual', note: 'on-call rollback' }));
  useEffect(() => {
    services.offer().then(
      (o) => {
        if (o.running) setRunning(o.running);
        setPhase((p) => (p.kind === 'confirm' ? { kind: 'confirm', loading: false, offer: o } : p));
      },
      (e: unknown) => setPhase((p) => (p.kind === 'confirm' ? { kind: 'confirm', loading: false, error: e instanceof Error ? e.message : String(e) } : p)),
    );
  }, [services]);
  // Once over, the quit key leaves; before, the confirmation (a dialog) or the running rollback has
  // the screen. The latest phase is read through a ref (handlers are re-registered late).
  const latest = useRef({ phase, rb });
  latest.current = { phase, rb };
  useKeymap(
    DONE_KEYS,
    (a) => {
      const { phase: p, rb: r } = latest.current;
      if (a !== 'quit' || p.kind !== 'done') return;
      onExit(p.code, `${p.ok ? (r.done?.noop ? 'Nothing to do' : 'Rolled back') : 'Rollback FAILED'}: ${r.done?.message ?? ''} — ${env} now runs ${p.runs ?? 'an unknown version'}.`);
      return true;
    },
    { isActive: phase.kind === 'done' },
  );
  const { columns, rows } = useTerminalSize();
  const start = (file: string): void => {
    setPhase({ kind: 'running', file });
    dispatch({ name: 'requested', detail: `operator confirmed the rollback to ${file}` });
    const finish = (ok: boolean, code: number): void => {
      // What runs now is read back from the target, never assumed from the backup.
      void services
        .runningVersion()
        .catch(() => undefined)
        .then((v) => {
          if (v) setRunning(v);
          setPhase({ kind: 'done', file, code, ok, ...(v ? { runs: v } : {}) });
        });
    };
    services.rollback(file, dispatch).then(
      (r) => {
        dispatch(r.noop ? { name: 'nothing-to-do', detail: r.message } : r.ok ? { name: 'verified', detail: r.message } : { name: 'failed', detail: r.message });
        finish(r.ok, r.exitCode);
      },
      (e: unknown) => {
        dispatch({ name: 'failed', detail: e instanceof Error ? e.message : String(e) });
        finish(false, typeof (e as { exitCode?: unknown }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 1);
      },
    );
  };
  return (
    <Box flexDirection="column">
      <Banner training={false} production={production} env={env} dryRun={false} />
      <Text bold wrap="truncate-end">
        On-call rollback · {env}
        {running ? ` · runs ${running}` : ''}
      </Text>
      {phase.kind === 'confirm' ? (
        <RollbackConfirm env={env} production={production} state={phase} now={now} onAnswer={(file) => (file ? start(file) : onExit(3))} />
      ) : (
        <>
          {/* A short terminal (60x24) keeps the whole story on screen: one row a stage, no check tails. */}
          <RollbackPanel s={{ ...rb, backup: phase.file }} env={env} compact={rollbackPanelRows({ ...rb, backup: phase.file }, env, columns) + 5 > rows} />
          {phase.kind === 'done' ? (
            <>
              <Text bold color={phase.ok ? 'green' : 'red'} wrap="wrap">
                {env} now runs {phase.runs ?? 'an unknown version (the target did not say)'}.
              </Text>
              <Text dimColor>{hintLine(DONE_KEYS)}</Text>
            </>
          ) : (
            <Text dimColor>The rollback runs to the end; its journal makes an interrupted one finish next time.</Text>
          )}
        </>
      )}
    </Box>
  );
}
