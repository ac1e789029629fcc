// The rollback's own screen: what caused it, each stage of SPEC.md's flow with its status in
// words, the health checks, the smoke results, the incident id. Shared by the monitor (manual and
// automatic rollbacks) and the on-call fast path.
import React, { useRef, useState } from 'react';
import { Box, Text } from 'ink';
import { useKeys } from './use-keys.js';
import Spinner from 'ink-spinner';
import { CONFIRM_KEYS, actionFor, hintLine, keyNames } from './keymap.js';
import { FLOW, flowWord, type RollbackViewState } from './rollback-state.js';
import { fmtValue } from './monitor-state.js';

/** The rollback in progress (or done). */
export function RollbackPanel({ s, env, animate = true, showDone = true }: { s: RollbackViewState; env: string; animate?: boolean; showDone?: boolean }): React.JSX.Element {
  const c = s.cause;
  return (
    <Box flexDirection="column">
      <Text bold color="red" wrap="wrap">
        ROLLBACK of {env}
        {c.trigger === 'auto' ? ` — automatic: ${c.gate ?? 'a gate'} breached (value ${fmtValue(c.value, c.unit ?? '')}, threshold ${fmtValue(c.threshold, c.unit ?? '')})` : ` — requested by the operator${c.note ? ` (${c.note})` : ''}`}
      </Text>
      {s.backup ? <Text>Backup: {s.backup}</Text> : null}
      {FLOW.map((f) => {
        const r = s.rows[f.key];
        const color = r.status === 'ok' ? 'green' : r.status === 'failed' ? 'red' : r.status === 'running' ? 'cyan' : r.status === 'skipped' ? 'yellow' : 'gray';
        return (
          <Text key={f.key} color={color} wrap="truncate-end">
            {r.status === 'running' && animate ? <Spinner type="dots" /> : ' '} {flowWord(r.status).padEnd(8)} {f.label}
            {r.detail ? ` — ${r.detail}` : ''}
          </Text>
        );
      })}
      {s.healthChecks.length ? (
        <Box flexDirection="column">
          {s.healthChecks.slice(-3).map((h, i) => (
            <Text key={`${i}-${h}`} dimColor wrap="truncate-end">
              {'   health '}
              {h}
            </Text>
          ))}
        </Box>
      ) : null}
      {s.smoke.map((x) => (
        <Text key={x} wrap="truncate-end">
          {'   smoke '}
          {x}
        </Text>
      ))}
      {s.incidentId ? <Text bold>Incident: {s.incidentId} (rollout incident show {s.incidentId})</Text> : null}
      {s.done && showDone ? (
        <Text bold color={s.done.ok ? 'green' : 'red'} wrap="wrap">
          {s.done.ok ? 'ROLLED BACK: ' : 'ROLLBACK FAILED: '}
          {s.done.message}
        </Text>
      ) : null}
    </Box>
  );
}

/** The confirmation before a rollback: names the backup and its verification; production types the env name. */
export function RollbackConfirm({ env, production, backup, onAnswer }: { env: string; production: boolean; backup: { loading: boolean; file?: string; detail?: string; error?: string }; onAnswer: (yes: boolean) => void }): React.JSX.Element {
  // A ref: typed keys may arrive faster than renders.
  const typedRef = useRef('');
  const [, rerender] = useState(0);
  const typed = typedRef.current;
  const setTyped = (f: (t: string) => string): void => {
    typedRef.current = f(typedRef.current);
    rerender((x) => x + 1);
  };
  const [note, setNote] = useState('');
  useKeys((input, key) => {
    if (key.ctrl && input === 'c') return onAnswer(false);
    if (backup.loading) {
      if (key.escape || input === 'n' || input === 'q') onAnswer(false);
      return;
    }
    if (backup.error || !backup.file) {
      if (key.escape || key.return || input === 'n' || input === 'q') onAnswer(false);
      return;
    }
    if (!production) {
      const a = keyNames(input, key).map((n) => actionFor(CONFIRM_KEYS, n)).find(Boolean);
      if (a) onAnswer(a === 'yes');
      return;
    }
    if (key.escape) return onAnswer(false);
    if (key.backspace || key.delete) return setTyped((t) => t.slice(0, -1));
    if (key.return) return typedRef.current === env ? onAnswer(true) : setNote(`That is not "${env}"; nothing changed. Type it exactly, or esc.`);
    if (input && !key.ctrl && !key.meta) {
      const [first = '', ...rest] = input.split(/[\r\n]/);
      const next = (typedRef.current + first).slice(0, 64);
      setTyped(() => next);
      if (rest.length) return next === env ? onAnswer(true) : setNote(`That is not "${env}"; nothing changed. Type it exactly, or esc.`);
    }
  });
  return (
    <Box flexDirection="column" borderStyle="double" borderColor="red" paddingX={1}>
      <Text bold color="red">
        Roll back {env}?
      </Text>
      {backup.loading ? (
        <Text>
          <Spinner type="dots" /> Finding and verifying the newest backup of {env}…
        </Text>
      ) : backup.error || !backup.file ? (
        <>
          <Text color="red" wrap="wrap">
            No backup to restore: {backup.error ?? 'none found'}
          </Text>
          <Text dimColor>esc back (nothing was changed)</Text>
        </>
      ) : (
        <>
          <Text wrap="wrap">Restores: {backup.file}</Text>
          <Text color="green" wrap="wrap">
            Verification: {backup.detail ?? 'verified'}
          </Text>
          <Text wrap="wrap">Nothing changes until you confirm.</Text>
          {production ? (
            <Text bold color="red">
              PRODUCTION: type "{env}" and enter to confirm, esc to cancel: <Text inverse>{typed || ' '}</Text>
            </Text>
          ) : (
            <Text>{hintLine(CONFIRM_KEYS)}</Text>
          )}
          {note ? <Text color="yellow">{note}</Text> : null}
        </>
      )}
    </Box>
  );
}
