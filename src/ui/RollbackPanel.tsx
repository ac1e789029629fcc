// The rollback's own screen: what caused it, each stage of SPEC.md's flow with its status in
// words, the health checks, the smoke results, the incident id. Shared by the monitor (manual and
// automatic rollbacks) and the on-call fast path.
import React, { useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import { useDialog, useKeymap } from './use-keys.js';
import { TypedPrompt, useTypedConfirm } from './TypedConfirm.js';
import Spinner from 'ink-spinner';
import { NO_BACKUP_KEYS, PRODUCTION_CONFIRM_KEYS, ROLLBACK_CONFIRM_KEYS, hintFor, hintLine } from './keymap.js';
import { ON_SCREEN, formatAge, formatBytes, formatValue } from '../domain/format.js';
import type { RollbackOffer } from '../usecases/rollback-offer.js';
import { FLOW, flowWord, type RollbackViewState } from './rollback-state.js';
import { NOBODY_NOTIFIED } from '../notify/summary.js';

/** How many rows the panel takes at this width (so that the screens around it can fit the terminal). */
export function rollbackPanelRows(s: RollbackViewState, env: string, columns: number): number {
  const lines = (n: number): number => Math.max(1, Math.ceil(n / Math.max(20, columns)));
  const c = s.cause;
  const title = `ROLLBACK of ${env} — ${c.trigger === 'auto' ? `automatic: ${c.gate ?? ''} breached (value …, threshold …)` : `requested by the operator (${c.note ?? ''})`}`;
  let n = lines(title.length) + (s.backup ? 1 : 0);
  for (const f of FLOW) {
    const r = s.rows[f.key];
    n += r.status === 'alert' ? lines(12 + f.label.length + (r.detail?.length ?? 0)) : 1;
  }
  n += Math.min(3, s.healthChecks.length) + s.smoke.length + (s.incidentId ? 1 : 0);
  if (s.done) n += lines(18 + s.done.message.length);
  return n;
}

/**
 * The rollback in progress (or done). `compact` (a finished walk's summary) keeps one row per stage
 * and leaves out the health and smoke tails, so the step list above stays on an 80x24 screen.
 */
export function RollbackPanel({ s, env, animate = true, showDone = true, compact = false }: { s: RollbackViewState; env: string; animate?: boolean; showDone?: boolean; compact?: boolean }): React.JSX.Element {
  const c = s.cause;
  return (
    <Box flexDirection="column">
      <Text bold color="red" wrap="wrap">
        ROLLBACK of {env}
        {c.trigger === 'auto' ? ` — automatic: ${c.gate ?? 'a gate'} breached (value ${formatValue(c.value, c.unit ?? '', ON_SCREEN)}, threshold ${formatValue(c.threshold, c.unit ?? '', ON_SCREEN)})` : ` — requested by the operator${c.note ? ` (${c.note})` : ''}`}
      </Text>
      {s.backup ? <Text>Backup: {s.backup}</Text> : null}
      {FLOW.map((f) => {
        const r = s.rows[f.key];
        const color = r.status === 'ok' ? 'green' : r.status === 'failed' || r.status === 'alert' ? 'red' : r.status === 'running' ? 'cyan' : r.status === 'skipped' ? 'yellow' : 'gray';
        // NOBODY NOTIFIED replaces "Notifications sent": the row must not read as success.
        const label = r.status === 'alert' ? f.label.replace('Notifications sent', NOBODY_NOTIFIED) : f.label;
        const detail = r.status === 'alert' ? r.detail?.replace(/^NOBODY NOTIFIED[^:]*: ?/, '') : r.detail;
        return (
          <Text key={f.key} color={color} bold={r.status === 'alert'} wrap={r.status === 'alert' && !compact ? 'wrap' : 'truncate-end'}>
            {r.status === 'running' && animate ? <Spinner type="dots" /> : ' '} {flowWord(r.status).padEnd(8)} {label}
            {detail ? ` — ${detail}` : ''}
          </Text>
        );
      })}
      {s.healthChecks.length && !compact ? (
        <Box flexDirection="column">
          {s.healthChecks.slice(-3).map((h, i) => (
            <Text key={`${i}-${h}`} dimColor wrap="truncate-end">
              {'   health '}
              {h}
            </Text>
          ))}
        </Box>
      ) : null}
      {(compact ? [] : s.smoke).map((x) => (
        <Text key={x} wrap="truncate-end">
          {'   smoke '}
          {x}
        </Text>
      ))}
      {s.incidentId ? <Text bold>Incident: {s.incidentId} (npx rollout incident show {s.incidentId})</Text> : null}
      {s.done && showDone ? (
        <Text bold color={s.done.ok ? 'green' : 'red'} wrap="wrap">
          {s.done.noop ? 'NOTHING TO DO: ' : s.done.ok ? 'ROLLED BACK: ' : s.done.message.startsWith('ROLLBACK FAILED') ? '' : 'ROLLBACK FAILED: '}
          {s.done.message}
        </Text>
      ) : null}
    </Box>
  );
}

/** What the confirmation shows while it loads, once loaded, or when no backup verifies. */
export interface OfferState {
  loading: boolean;
  offer?: RollbackOffer;
  error?: string;
}

/**
 * The confirmation before a rollback: `running X → restoring Y`, the chosen backup's age, size and
 * verification, and the other verified backups to pick from; production types the env name.
 * Answers with the chosen backup's file, or null (nothing changes).
 */
export function RollbackConfirm({ env, production, state, now = Date.now, onAnswer, typedLabel = 'PRODUCTION' }: { env: string; production: boolean; state: OfferState; now?: () => number; onAnswer: (file: string | null) => void; typedLabel?: string }): React.JSX.Element {
  // A ref: keys may arrive faster than renders.
  const cursorRef = useRef(0);
  const [, rerender] = useState(0);
  const choices = state.offer?.choices ?? [];
  const ready = !state.loading && !state.error && choices.length > 0;
  const table = production ? PRODUCTION_CONFIRM_KEYS : ROLLBACK_CONFIRM_KEYS;
  const chosen = (): string | null => choices[cursorRef.current]?.file ?? null;
  const move = (d: number): void => {
    if (choices.length) cursorRef.current = (cursorRef.current + d + choices.length) % choices.length;
    rerender((x) => x + 1);
  };
  // A dialog: the screen below (the monitor, the on-call screen) takes no key while it is open.
  const layer = useDialog();
  // Production types the name (the one typed confirmation: enter, esc); the arrows still choose the backup.
  const typed = useTypedConfirm({ expected: env, active: production && ready, layer, onConfirm: () => onAnswer(chosen()), onCancel: () => onAnswer(null) });
  useKeymap(
    table,
    (a) => {
      if (a === 'up' || a === 'down') return move(a === 'up' ? -1 : 1);
      // Production: enter and esc are the typed confirmation's.
      if (production) return;
      onAnswer(a === 'yes' ? chosen() : null);
      return true;
    },
    { isActive: ready, layer },
  );
  // Loading, or nothing to restore: only leaving.
  useKeymap(
    NO_BACKUP_KEYS,
    () => {
      onAnswer(null);
      return true;
    },
    { isActive: !ready, layer },
  );
  const c = choices[Math.min(cursorRef.current, Math.max(0, choices.length - 1))];
  const vw = Math.min(16, Math.max(7, ...choices.map((b) => (b.version ?? '?').length)));
  const t = now();
  return (
    <Box flexDirection="column" borderStyle="double" borderColor="red" paddingX={1}>
      <Text bold color="red">
        Roll back {env}?
      </Text>
      {state.loading ? (
        <Text>
          <Spinner type="dots" /> Finding and verifying the backups of {env}…
        </Text>
      ) : state.error || !c ? (
        <>
          <Text color="red" wrap="wrap">
            No backup to restore: {state.error ?? 'none found'}
          </Text>
          <Text dimColor>{hintFor(NO_BACKUP_KEYS, 'no')}</Text>
        </>
      ) : (
        <>
          <Text bold wrap="wrap">
            running {state.offer?.running ?? 'unknown'} → restoring {c.version ?? 'unknown version'}
          </Text>
          <Text wrap="wrap">
            Backup: {c.file}, taken {formatAge(c.takenAt, t)} ({new Date(c.takenAt).toISOString().slice(0, 16).replace('T', ' ')} UTC), {formatBytes(c.bytes)}
          </Text>
          <Text color="green" wrap="wrap">
            Verified: {c.detail}
          </Text>
          {choices.length > 1 || state.offer?.skipped.length ? (
            <Box flexDirection="column">
              <Text dimColor wrap="wrap">
                Verified backups, newest first ({choices.length}){state.offer?.skipped.length ? `; ${state.offer.skipped.length} failed verification, not offered` : ''}:
              </Text>
              {choices.map((b) => (
                <Text key={b.file} inverse={b === c} wrap="truncate-end">
                  {b === c ? '> ' : '  '}
                  {(b.version ?? '?').padEnd(vw)} {formatAge(b.takenAt, t).padEnd(11)} {formatBytes(b.bytes).padStart(8)}  {b.file.replace(/^backups\//, '')}
                </Text>
              ))}
            </Box>
          ) : null}
          <Text wrap="wrap">Nothing changes until you confirm.</Text>
          {production ? (
            <>
              <TypedPrompt label={typedLabel} expected={env} state={typed} />
              <Text dimColor>{hintLine(table)}</Text>
            </>
          ) : (
            <Text>{hintLine(table)}</Text>
          )}
        </>
      )}
    </Box>
  );
}
