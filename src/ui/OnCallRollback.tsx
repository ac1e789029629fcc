// The on-call fast path: `rollout rollback --env E` in a terminal opens straight on the rollback
// confirmation with the newest verified backup chosen; after y (production: the typed env name)
// the rollback screen follows each stage. Nothing changes before the confirmation.
import React, { useEffect, useReducer, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import { useKeys } from './use-keys.js';
import { Banner } from './Banner.js';
import { RollbackConfirm, RollbackPanel } from './RollbackPanel.js';
import { DONE_KEYS, actionFor, hintLine, keyNames } from './keymap.js';
import { initialRollback, rollbackReducer, type StageReport } from './rollback-state.js';

/** What the screen does through the rollback engine. */
export interface OnCallServices {
  /** The backup to restore, verified (file, one-line verification), or throws. */
  findBackup: () => Promise<{ file: string; detail: string }>;
  /** Run the rollback of exactly this backup; stage reports as it goes. */
  rollback: (backup: string, onStage: (r: StageReport) => void) => Promise<{ ok: boolean; message: string; incidentId?: string; exitCode: number }>;
}

export interface OnCallProps {
  env: string;
  production: boolean;
  services: OnCallServices;
  /** Called with the exit code once the operator leaves. */
  onExit: (code: number) => void;
}

type Phase = { kind: 'confirm'; loading: boolean; file?: string; detail?: string; error?: string } | { kind: 'running'; file: string } | { kind: 'done'; file: string; code: number };

/** The on-call rollback screen. */
export function OnCallRollback({ env, production, services, onExit }: OnCallProps): React.JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'confirm', loading: true });
  const [rb, dispatch] = useReducer(rollbackReducer, undefined, () => initialRollback({ trigger: 'manual', note: 'on-call: rollout rollback' }));
  useEffect(() => {
    services.findBackup().then(
      (b) => setPhase((p) => (p.kind === 'confirm' ? { kind: 'confirm', loading: false, file: b.file, detail: b.detail } : p)),
      (e: unknown) => setPhase((p) => (p.kind === 'confirm' ? { kind: 'confirm', loading: false, error: e instanceof Error ? e.message : String(e) } : p)),
    );
  }, [services]);
  // Always listening, reading the latest phase through a ref (handlers are re-registered late).
  const latest = useRef(phase);
  latest.current = phase;
  useKeys((input, key) => {
    const p = latest.current;
    for (const n of keyNames(input, key)) if (p.kind === 'done' && actionFor(DONE_KEYS, n) === 'quit') return onExit(p.code);
  });
  const start = (file: string): void => {
    setPhase({ kind: 'running', file });
    dispatch({ name: 'requested', detail: `operator confirmed the rollback to ${file}` });
    services.rollback(file, dispatch).then(
      (r) => {
        dispatch(r.ok ? { name: 'verified', detail: r.message } : { name: 'failed', detail: r.message });
        setPhase({ kind: 'done', file, code: r.exitCode });
      },
      (e: unknown) => {
        dispatch({ name: 'failed', detail: e instanceof Error ? e.message : String(e) });
        setPhase({ kind: 'done', file, code: typeof (e as { exitCode?: unknown }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 1 });
      },
    );
  };
  return (
    <Box flexDirection="column">
      <Banner training={false} production={production} env={env} dryRun={false} />
      <Text bold>On-call rollback · {env}</Text>
      {phase.kind === 'confirm' ? (
        <RollbackConfirm env={env} production={production} backup={phase} onAnswer={(yes) => (yes && phase.file ? start(phase.file) : onExit(3))} />
      ) : (
        <>
          <RollbackPanel s={{ ...rb, backup: phase.file }} env={env} />
          {phase.kind === 'done' ? <Text dimColor>{hintLine(DONE_KEYS)}</Text> : <Text dimColor>The rollback runs to the end; its journal makes an interrupted one finish next time.</Text>}
        </>
      )}
    </Box>
  );
}
