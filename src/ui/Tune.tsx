// The tune view (from home, key t): per gate the healthy baseline as a sparkline scaled to the
// threshold, the threshold, the proposed threshold and how many recorded windows would decide
// differently; the proposal replayed; read-only until the operator confirms writing (production:
// by typing its name). The proposal comes from the same use case as `rollout tune`.
import React, { useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import Spinner from 'ink-spinner';
import { useKeymap, useQuestion } from './use-keys.js';
import { TypedConfirm } from './TypedConfirm.js';
import { TUNE_DONE_KEYS, TUNE_KEYS, TUNE_WRITE_KEYS, hintFor, hintLine, keyFor } from './keymap.js';
import type { GateProposal, TuneResult } from '../usecases/tune.js';
import { formatValue } from '../domain/format.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A sparkline of the last `width` values on a scale from 0 to `top` (the threshold): a full block is at or over it. */
export function thresholdSpark(values: number[], top: number, width: number): string {
  const v = values.slice(-width);
  if (!v.length) return '·'.repeat(Math.min(width, 3));
  const scale = top > 0 ? top : Math.max(...v, 1);
  return v.map((x) => BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, Math.round((x / scale) * (BLOCKS.length - 1))))]).join('');
}

/** A value in the table: the one value format; a count of consecutive checks stands bare. */
function num(v: number | null, unit: string): string {
  return formatValue(v, unit === 'consecutive' ? '' : unit, { none: 'n/a' });
}

/** What the view asks of the services. */
export interface TuneViewProps {
  env: string;
  production: boolean;
  configName: string;
  load: () => Promise<TuneResult>;
  /** Write the proposal and validate the file; resolves with one line saying what happened. */
  write: (t: TuneResult) => Promise<string>;
  onBack: () => void;
}

type State =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; t: TuneResult }
  | { kind: 'confirm'; t: TuneResult }
  | { kind: 'writing'; t: TuneResult }
  | { kind: 'written'; t: TuneResult; message: string };

function GateRow({ p, selected }: { p: GateProposal; selected: boolean }): React.JSX.Element {
  return (
    <Text inverse={selected} bold={p.changed}>
      {selected ? '> ' : '  '}
      {p.gate.padEnd(24)} {thresholdSpark(p.series, p.current, 16).padEnd(16)} {`${p.statistic} ${num(p.observed, p.unit)}`.padEnd(14)} {num(p.current, p.unit).padStart(9)} {p.changed ? '→' : ' '} {(p.changed ? num(p.proposed, p.unit) : 'keep').padEnd(9)} {String(p.windowsChanged).padStart(3)}
      {p.looserThanDefault !== undefined ? <Text color="yellow"> LOOSER</Text> : null}
    </Text>
  );
}

/** Outside production: y writes, n (or esc) changes nothing; a dialog, so the view below takes no key. */
function WriteQuestion({ changes, configName, onAnswer }: { changes: number; configName: string; onAnswer: (yes: boolean) => void }): React.JSX.Element {
  useQuestion(TUNE_WRITE_KEYS, 'yes', onAnswer);
  return (
    <Text bold color="yellow">
      Write {changes} threshold changes to {configName}? {hintLine(TUNE_WRITE_KEYS)}
    </Text>
  );
}

/** The tune view. */
export function TuneView({ env, production, configName, load, write, onBack }: TuneViewProps): React.JSX.Element {
  const [s, setS] = useState<State>({ kind: 'loading' });
  const [cursor, setCursor] = useState(0);
  const ref = useRef(s);
  ref.current = s;
  useEffect(() => {
    let live = true;
    load().then(
      (t) => live && setS({ kind: 'ready', t }),
      (e: unknown) => live && setS({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
  }, [load]);
  const doWrite = (t: TuneResult): void => {
    setS({ kind: 'writing', t });
    write(t).then(
      (message) => setS({ kind: 'written', t, message }),
      (e: unknown) => setS({ kind: 'error', message: `Nothing written: ${e instanceof Error ? e.message : String(e)}` }),
    );
  };
  // The proposal's keys; while the write question is open it has the focus (WriteQuestion).
  useKeymap(TUNE_KEYS, (a) => {
    const cur = ref.current;
    if (a === 'back') {
      onBack();
      return true;
    }
    if (cur.kind !== 'ready') return;
    const n = cur.t.proposals.length;
    if (a === 'up') setCursor((c) => (c + n - 1) % n);
    else if (a === 'down') setCursor((c) => (c + 1) % n);
    else if (a === 'write' && cur.t.changed) {
      ref.current = { kind: 'confirm', t: cur.t };
      setS(ref.current);
      return true;
    }
  }, { isActive: s.kind === 'ready' || s.kind === 'loading' });
  // Written, or could not load: only back.
  useKeymap(TUNE_DONE_KEYS, () => onBack(), { isActive: s.kind === 'written' || s.kind === 'error' });

  if (s.kind === 'loading')
    return (
      <Text>
        <Spinner type="dots" /> Replaying the recorded monitor windows of {env}…
      </Text>
    );
  if (s.kind === 'error')
    return (
      <Box flexDirection="column">
        <Text color="red" wrap="wrap">
          {s.message}
        </Text>
        <Text dimColor>{hintFor(TUNE_DONE_KEYS, 'back')}</Text>
      </Box>
    );
  const t = s.t;
  const r = t.replay;
  const sel = t.proposals[Math.min(cursor, t.proposals.length - 1)];
  return (
    <Box flexDirection="column">
      <Text bold>
        Tune {env} <Text dimColor>· from {t.healthyWindows} healthy of {t.windows} recorded windows{t.since ? ` since ${t.since.slice(0, 10)}` : ''} · margin {t.marginPct} %, steps 10-{t.maxStepPct} %</Text>
      </Text>
      <Text color={s.kind === 'written' ? 'green' : 'cyan'}>{s.kind === 'written' ? `WRITTEN to ${configName}` : `READ-ONLY: nothing is written until you press ${keyFor(TUNE_KEYS, 'write')} and confirm`}</Text>
      <Text dimColor>
        {'  '}
        {'gate'.padEnd(24)} {'healthy/limit'.padEnd(16)} {'baseline'.padEnd(14)} {'threshold'.padStart(9)}   {'proposed'.padEnd(9)} {'chg'.padStart(3)}
      </Text>
      {t.proposals.map((p, i) => (
        <GateRow key={p.gate} p={p} selected={i === cursor && s.kind === 'ready'} />
      ))}
      {sel ? (
        <Text wrap="wrap" dimColor={!sel.changed}>
          {sel.rationale}
        </Text>
      ) : null}
      <Text wrap="wrap">
        Replayed over {r.windows} windows: {r.changed} decided differently, {r.rollbacksAvoided.length} rollbacks avoided, {r.newBreaches.length} new breaches, {r.falsePositivesAvoided.length} of {r.falsePositives} false positives avoided; fidelity {r.reproduced.exact}/{r.reproduced.of}.
      </Text>
      {s.kind === 'confirm' ? (
        production ? (
          <TypedConfirm expected={env} verb={`write ${configName}`} nothing="nothing written" onConfirm={() => doWrite(s.t)} onCancel={() => setS({ kind: 'ready', t: s.t })} />
        ) : (
          <WriteQuestion changes={t.proposals.filter((p) => p.changed).length} configName={configName} onAnswer={(yes) => (yes ? doWrite(s.t) : setS({ kind: 'ready', t: s.t }))} />
        )
      ) : null}
      {s.kind === 'writing' ? (
        <Text>
          <Spinner type="dots" /> Writing {configName} and validating it…
        </Text>
      ) : null}
      {s.kind === 'written' ? (
        <Box flexDirection="column">
          <Text color="green">{s.message}</Text>
          <Text dimColor>Commit message:</Text>
          {t.commitMessage.split('\n').map((l, i) => (
            <Text key={i}>{l || ' '}</Text>
          ))}
        </Box>
      ) : null}
      <Text dimColor>{s.kind === 'ready' ? (t.changed ? hintLine(TUNE_KEYS) : `No change proposed.  ${hintLine(TUNE_KEYS.filter((b) => b.action !== 'write'))}`) : s.kind === 'written' ? hintLine(TUNE_DONE_KEYS) : ''}</Text>
    </Box>
  );
}
