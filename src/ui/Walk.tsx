// The runbook walk: finished steps above (Ink <Static>, written once), the step list, and the live
// step below with its own view: checklist, progress bar, sign-off, spinners with a live tail,
// smoke table. Every action is an answer to the runner (through the PromptBroker) or runner.abort().
import React, { useEffect, useReducer, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Static } from 'ink';
import { Text } from './Text.js';
import { HintLine } from './HintLine.js';
import { useDialog, useKeys, useKeymap } from './use-keys.js';
import Spinner from 'ink-spinner';
import { resumeCommand, type RunnerEvent } from '../usecases/runner.js';
import type { LiveSession, SmokeRow } from '../usecases/runner-engines.js';
import { Pager, scroll } from './Pager.js';
import { TypedPrompt, useTypedConfirm } from './TypedConfirm.js';
import { CHECKLIST_KEYS, CONFIRM_KEYS, DONE_KEYS, PAGER_KEYS, SIGNOFF_KEYS, WALK_KEYS, actionFor, hintFor, hintLine, keyFor, isText, keyName, keyNames, type DoneAction, type KeyBinding } from './keymap.js';
import { HelpBox } from './HelpBox.js';
import { formatBytes } from '../domain/format.js';
import type { PendingPrompt, PromptBroker } from './prompt-broker.js';
import { bar, statusMark, walkReducer, type StepView, type WalkState } from './walk-state.js';
import { useTerminalSize } from './use-terminal-size.js';
import { Banner } from './Banner.js';

/** What the walk screen drives: the runner's events and abort. */
export interface WalkRunner {
  subscribe(fn: (e: RunnerEvent) => void): () => void;
  abort(): void;
}

export interface WalkProps {
  runner: WalkRunner;
  broker: PromptBroker;
  initial: WalkState;
  training: boolean;
  operator: string;
  /** Draws a live monitor or rollback in place of the step view. */
  renderSession?: (s: LiveSession, walk: WalkState, finished: boolean) => React.ReactNode;
  onQuit: (s: WalkState) => void;
  /** What the finished screen says on success, and its keys (the demo set-up goes on with its quit key). */
  done?: { text: string; keys: KeyBinding<DoneAction>[] };
}

const ROLLBACK_ANY_TIME = ['Rollback at any time from another terminal: npx rollout rollback --env ENV'];

function relativeLog(p: string): string {
  const i = p.replace(/\\/g, '/').lastIndexOf('/logs/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/** The smoke results as a table. */
export function SmokeTable({ rows }: { rows: SmokeRow[] }): React.JSX.Element {
  return (
    <Box flexDirection="column">
      <Text bold>{'  result  check                 tier      detail'}</Text>
      {rows.map((r) => (
        <Text key={r.id} color={r.ok ? 'green' : 'red'} wrap="truncate-end">
          {'  '}
          {(r.ok ? 'PASS' : 'FAIL').padEnd(8)}
          {r.id.padEnd(22).slice(0, 22)}
          {r.tier.padEnd(10)}
          {r.detail}
          {r.ms !== undefined ? ` (${r.ms} ms)` : ''}
        </Text>
      ))}
    </Box>
  );
}

function FinishedStep({ v, index, total }: { v: StepView; index: number; total: number }): React.JSX.Element {
  const color = v.status === 'failed' ? 'red' : v.status === 'skipped' ? 'yellow' : 'green';
  return (
    <Box flexDirection="column">
      <Text color={color}>
        {statusMark(v.status)} {index + 1}/{total} {v.title}: {v.summary ?? ''}
      </Text>
      {v.backup?.sha256 ? (
        <Text>
          {'       '}
          {v.backup.path} {formatBytes(v.backup.bytes)} SHA256 {v.backup.sha256}
        </Text>
      ) : null}
      {v.smoke ? <SmokeTable rows={v.smoke} /> : null}
      {v.incidentId ? <Text>{'       '}incident {v.incidentId}</Text> : null}
      {v.report?.map((l, i) => (
        <Text key={`${i}-${l}`}>
          {'  '}
          {l}
        </Text>
      ))}
      {v.error?.nextSteps.map((n) => (
        <Text key={n}>{'       '}next: {n}</Text>
      ))}
    </Box>
  );
}

/** One line (wrapped) of every step with its state in words. */
export function StepList({ steps, current }: { steps: StepView[]; current: number }): React.JSX.Element {
  return (
    <Box flexWrap="wrap" columnGap={1}>
      {steps.map((v, i) => {
        const word = v.status === 'done' ? 'done' : v.status === 'failed' ? 'FAILED' : v.status === 'skipped' ? 'skipped' : v.status === 'stopped' ? 'stopped' : i === current && v.status === 'running' ? 'now' : 'pending';
        const color = v.status === 'done' ? 'green' : v.status === 'failed' ? 'red' : v.status === 'running' ? 'cyan' : v.status === 'skipped' || v.status === 'stopped' ? 'yellow' : 'gray';
        return (
          <Text key={v.id} color={color} bold={v.status === 'running'}>
            {i + 1}.{v.id}:{word}
          </Text>
        );
      })}
    </Box>
  );
}

function Substeps({ v, tail }: { v: StepView; tail: number }): React.JSX.Element {
  return (
    <Box flexDirection="column">
      {v.substeps.map((s) => (
        <Text key={s.name} color={s.status === 'failed' ? 'red' : s.status === 'ok' ? 'green' : undefined}>
          {'  '}
          {s.status === 'running' ? <Spinner type="dots" /> : s.status === 'ok' ? 'ok' : s.status === 'failed' ? 'FAILED' : s.status}
          {' '}
          {s.name}
          {s.detail ? ` — ${s.detail}` : ''}
        </Text>
      ))}
      {v.substeps.length === 0 ? (
        <Text>
          {'  '}
          <Spinner type="dots" /> {v.title}…
        </Text>
      ) : null}
      {v.output.length ? (
        <Box flexDirection="column" marginTop={1}>
          {v.output.slice(-tail).map((l, i) => (
            <Text key={`${i}-${l}`} dimColor wrap="truncate-end">
              {'  | '}
              {l}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

function ProgressView({ v, columns }: { v: StepView; columns: number }): React.JSX.Element {
  const p = v.progress;
  const width = Math.max(10, Math.min(40, columns - 40));
  return (
    <Box flexDirection="column">
      <Text>
        {'  '}
        <Spinner type="dots" /> {v.title}
        {p?.label ? ` — ${p.label}` : ''}
      </Text>
      <Text>
        {'  '}
        {bar(p?.done ?? 0, p?.total, width)} {formatBytes(p?.done ?? 0)}
        {p?.total ? ` of ${formatBytes(p.total)}` : ''}
        {p?.bytesPerSecond !== undefined ? `  ${(p.bytesPerSecond / (1 << 20)).toFixed(1)} MB/s` : ''}
      </Text>
    </Box>
  );
}

function ChecklistPrompt({ p, production }: { p: Extract<PendingPrompt, { kind: 'checklist' }>; production: boolean }): React.JSX.Element {
  const items = p.req.items;
  // The key handler reads and writes a ref, so keys arriving faster than renders never see stale state.
  const st = useRef({ cursor: 0, ticked: new Set(items.filter((i) => i.manual && i.ok).map((i) => i.id)), note: '', help: false });
  const [, rerender] = useState(0);
  const { cursor, ticked, note, help } = st.current;
  const blocking = items.filter((i) => !i.manual && i.required && !i.ok);
  const unticked = items.filter((i) => i.manual && !ticked.has(i.id));
  // The runner's question: the walk below takes no key while it is open.
  const layer = useDialog();
  useKeys((input, key) => {
    // Several keys may arrive in one chunk: fold them over local copies, then set state once.
    let cur = st.current.cursor;
    let tick = st.current.ticked;
    let h = st.current.help;
    let msg: string | undefined;
    for (const name of keyNames(input, key)) {
      const a = actionFor(CHECKLIST_KEYS, name);
      if (h && a !== 'help') {
        h = false;
        continue;
      }
      if (a === 'up') cur = (cur + items.length - 1) % items.length;
      else if (a === 'down') cur = (cur + 1) % items.length;
      else if (a === 'tick') {
        const it = items[cur];
        if (!it?.manual) msg = `"${it?.label ?? ''}" is checked automatically; fix it, then press ${keyFor(CHECKLIST_KEYS, 'recheck')}.`;
        else {
          tick = new Set(tick);
          if (tick.has(it.id)) tick.delete(it.id);
          else tick.add(it.id);
          msg = '';
        }
      } else if (a === 'fix') {
        const b = items.find((i) => !i.ok && (i.check === 'backup-present' || i.check === 'backup-verified'));
        if (b) return p.answer({ kind: 'fix', item: b.id });
        msg = 'No backup is missing.';
      } else if (a === 'recheck') return p.answer({ kind: 'recheck', confirmed: [...tick] });
      else if (a === 'continue') {
        const untickedNow = items.filter((i) => i.manual && !tick.has(i.id));
        if (blocking.length) msg = `Cannot continue: ${blocking.map((b) => b.id).join(', ')} missing. ${blocking[0]?.fix ?? ''}`;
        else if (production && untickedNow.length) msg = `Production needs every manual item ticked: ${untickedNow.map((u) => u.id).join(', ')}.`;
        else return p.answer({ kind: 'continue', confirmed: [...tick] });
      } else if (a === 'help') h = !h;
      else if (a === 'abort') return p.answer({ kind: 'abort' });
    }
    st.current = { cursor: cur, ticked: tick, help: h, note: msg ?? st.current.note };
    rerender((x) => x + 1);
  }, { layer });
  if (help) return <HelpBox keys={CHECKLIST_KEYS} extra={ROLLBACK_ANY_TIME} />;
  return (
    <Box flexDirection="column">
      <Text bold>Artifacts checklist</Text>
      {items.map((it, i) => {
        const mark = it.manual ? (ticked.has(it.id) ? '[x]' : '[ ]') : it.ok ? '[ok]' : it.required ? '[MISSING]' : '[absent]';
        const color = it.manual ? undefined : it.ok ? 'green' : it.required ? 'red' : 'yellow';
        return (
          <Text key={it.id} color={color} inverse={i === cursor} wrap="truncate-end">
            {i === cursor ? '>' : ' '} {mark} {it.label}
            {it.manual ? '' : ` — ${it.found}`}
          </Text>
        );
      })}
      {items[cursor] ? (
        <Text dimColor wrap="wrap">
          {'  '}
          {items[cursor]!.manual ? (ticked.has(items[cursor]!.id) ? 'ticked by you' : `${keyFor(CHECKLIST_KEYS, 'tick')} to tick once it is true`) : `found: ${items[cursor]!.found}`}
        </Text>
      ) : null}
      {blocking.map((b) => (
        <Text key={b.id} color="red" bold wrap="wrap">
          BLOCKED: {b.label} — {b.found}.{b.fix ? ` To fix: ${b.fix}` : ''}
        </Text>
      ))}
      {!blocking.length && unticked.length ? <Text color="yellow">Tick each manual item once it is true ({unticked.length} left).</Text> : null}
      {note ? <Text color="yellow">{note}</Text> : null}
      <HintLine keys={CHECKLIST_KEYS} />
    </Box>
  );
}

function useTextInput(onSubmit: (text: string) => void, onCancel: () => void, o: { active: boolean; layer: symbol }): string {
  // A ref, not the render's closure: a paste or fast typing delivers keys faster than renders.
  const text = useRef('');
  const [, rerender] = useState(0);
  useKeys(
    (input, key) => {
      // Letters are the name; the keys of SIGNOFF_KEYS submit, delete and cancel.
      const a = actionFor(SIGNOFF_KEYS, keyName(input, key));
      if (a === 'cancel') return onCancel();
      if (a === 'submit') return onSubmit(text.current);
      if (a === 'delete') {
        text.current = text.current.slice(0, -1);
        return rerender((x) => x + 1);
      }
      if (!isText(input, key)) return;
      // A paste (or tmux send-keys) delivers "name\r" in one chunk.
      const [first = '', ...rest] = input.split(/[\r\n]/);
      text.current = (text.current + first).replace(/[\t]/g, '').slice(0, 64);
      if (rest.length) onSubmit(text.current);
      else rerender((x) => x + 1);
    },
    { isActive: o.active, layer: o.layer },
  );
  return text.current;
}

function SignOffPrompt({ p, operator }: { p: Extract<PendingPrompt, { kind: 'sign-off' }>; operator: string }): React.JSX.Element {
  const [name, setName] = useState<string | undefined>();
  const [note, setNote] = useState('');
  const prod = p.req.production;
  // A dialog: the walk below takes no key while it is open (q is a letter of a name here).
  const layer = useDialog();
  const typedName = useTextInput(
    (t) => {
      if (!t.trim()) return setNote(`Type your name to sign off (${keyFor(SIGNOFF_KEYS, 'cancel')} stops the walk).`);
      if (!prod) return p.answer({ name: t.trim() });
      setName(t.trim());
      setNote('');
    },
    () => p.answer(undefined),
    { active: name === undefined, layer },
  );
  const typedEnv = useTypedConfirm({ expected: p.req.env, active: name !== undefined, layer, onConfirm: () => p.answer({ name: name!, typedEnv: p.req.env }), onCancel: () => p.answer(undefined), nothing: 'not signed off' });
  return (
    <Box flexDirection="column">
      <Text bold>Deploy operator sign-off{p.req.step.roles?.length ? ` (${p.req.step.roles.join(', ')})` : ''}</Text>
      {p.req.artifacts.length ? (
        p.req.artifacts.map((a) => (
          <Text key={a.path} wrap="wrap">
            Artifact: {a.path} ({formatBytes(a.bytes)}){a.sha256 ? ` SHA256 ${a.sha256}` : ''}
            {a.verified ? ' — verified' : ''}
          </Text>
        ))
      ) : (
        <Text color="yellow">No backup to sign for.</Text>
      )}
      <Text>
        Your name: {name ?? <Text inverse>{typedName || ' '}</Text>}
        {name === undefined && !typedName ? <Text dimColor> (you are {operator}; type it and press {keyFor(SIGNOFF_KEYS, 'submit')})</Text> : null}
      </Text>
      {prod ? (
        name !== undefined ? (
          <TypedPrompt expected={p.req.env} verb="sign off" state={typedEnv} />
        ) : (
          <Text color="red" bold>
            PRODUCTION: then type the environment's name to confirm (after your name)
          </Text>
        )
      ) : null}
      {note ? <Text color="yellow">{note}</Text> : null}
      <Text dimColor>{hintLine(SIGNOFF_KEYS)}</Text>
    </Box>
  );
}

function ConfirmPrompt({ p }: { p: Extract<PendingPrompt, { kind: 'confirm' }> }): React.JSX.Element {
  const prod = p.req.production;
  // A dialog: the walk below takes no key while it is open.
  const layer = useDialog();
  const typed = useTypedConfirm({ expected: p.req.env, active: prod, layer, onConfirm: () => p.answer(true), onCancel: () => p.answer(false) });
  useKeymap(
    CONFIRM_KEYS,
    (a) => {
      p.answer(a === 'yes');
      return true;
    },
    { isActive: !prod, layer },
  );
  return (
    <Box flexDirection="column">
      <Text bold>{p.req.prompt}</Text>
      {p.req.artifacts.map((a) => (
        <Text key={a.path} wrap="wrap">
          Backup: {a.path}
          {a.verified ? ` — verified (sha256 ${a.sha256.slice(0, 16)}… matches; ${a.detail ?? 'checked'})` : ' — not verified yet'}
        </Text>
      ))}
      {prod ? (
        <TypedPrompt expected={p.req.env} state={typed} />
      ) : (
        <Text dimColor>{hintLine(CONFIRM_KEYS)}</Text>
      )}
    </Box>
  );
}

function LiveStep({ v, columns, tail }: { v: StepView; columns: number; tail: number }): React.JSX.Element {
  if ((v.type === 'backup' || v.type === 'verify-backup') && v.progress) return <ProgressView v={v} columns={columns} />;
  return <Substeps v={v} tail={tail} />;
}

/** The walk screen. */
export function Walk({ runner, broker, initial, training, operator, renderSession, onQuit, done }: WalkProps): React.JSX.Element {
  const [s, dispatch] = useReducer(walkReducer, initial);
  const pending = useSyncExternalStore(
    (fn) => broker.subscribe(fn),
    () => broker.pending,
  );
  const { columns, rows } = useTerminalSize();
  const [stopping, setStopping] = useState(false);
  const [pageAt, setPageAt] = useState(0);
  const [bigTail, setBigTail] = useState(false);
  const [help, setHelp] = useState(false);
  useEffect(() => runner.subscribe(dispatch), [runner]);
  const live = s.current >= 0 ? s.steps[s.current] : undefined;
  const sessionShown = Boolean(s.session && !s.finished && live?.status === 'running' && renderSession);
  // Ink re-registers the handler in an effect, a moment after the frame is drawn; reading the
  // latest state through a ref keeps a key pressed in that moment from acting on an old screen.
  const latest = useRef({ s, help });
  latest.current = { s, help };
  // A question of the runner (its own dialog) or a live session (its own screen) takes the keys
  // while it is on screen: the walk's handler is inactive meanwhile.
  const doneKeys = s.finished?.status === 'ok' && done ? done.keys : DONE_KEYS;
  useKeys(
    (input, key) => {
      const { s, help } = latest.current;
      for (const name of keyNames(input, key)) {
        if (s.finished) {
          const a = actionFor(doneKeys, name);
          if (a === 'quit') return onQuit(s);
          if (a === 'help') setHelp((h) => !h);
          // A long result (the debrief) scrolls in its pager.
          const p = report ? actionFor(PAGER_KEYS, name) : undefined;
          if (p && report) setPageAt((o) => scroll(o, p, report.lines.length, pageHeight));
          continue;
        }
        const a = actionFor(WALK_KEYS, name);
        if (help && a !== 'help') {
          setHelp(false);
          continue;
        }
        if (a === 'stop') {
          setStopping(true);
          runner.abort();
          broker.cancel();
        } else if (a === 'log') setBigTail((b) => !b);
        else if (a === 'help') setHelp((h) => !h);
      }
    },
    { isActive: !pending && !sessionShown },
  );
  const finished = s.steps.map((v, i) => ({ v, i })).filter(({ v }) => v.status === 'done' || v.status === 'failed' || v.status === 'skipped');
  // Once the walk is over, the longest report (the training debrief) stays on screen in a pager.
  const withReport = s.finished ? [...s.steps].reverse().find((v) => (v.report?.length ?? 0) > 0) : undefined;
  const report = withReport?.report ? { title: withReport.title, lines: withReport.report } : undefined;
  const pageHeight = Math.max(3, rows - 12);
  return (
    <Box flexDirection="column">
      <Static items={finished}>{({ v, i }) => <FinishedStep key={v.id} v={v} index={i} total={s.steps.length} />}</Static>
      <Banner training={training} production={s.production} env={s.env} dryRun={s.dryRun} />
      <Text bold wrap="truncate-end">
        {s.runbook} on {s.env}
        {s.version ? ` · version ${s.version}` : ''}
        {s.dryRun ? ' · DRY-RUN' : ''} · operator {operator}
      </Text>
      <StepList steps={s.steps} current={s.current} />
      <Box marginTop={1} flexDirection="column">
        {help ? (
          <HelpBox keys={s.finished ? doneKeys : WALK_KEYS} extra={ROLLBACK_ANY_TIME} />
        ) : s.finished ? (
          <Box flexDirection="column">
            <Text bold color={s.finished.status === 'ok' ? 'green' : 'red'} wrap="wrap">
              {s.finished.status === 'ok' ? (done?.text ?? `The walk went through${s.dryRun ? ' (dry-run: nothing was changed)' : ''}.`) : (s.finished.message ?? `The walk ${s.finished.status}.`)}
            </Text>
            {(s.finished.nextSteps ?? []).map((n) => (
              <Text key={n}>next: {n}</Text>
            ))}
            {report ? <Pager title={report.title} lines={report.lines} height={pageHeight} offset={pageAt} /> : s.session && renderSession ? renderSession(s.session, s, true) : null}
            {s.logPath ? <Text dimColor>Log: {relativeLog(s.logPath)}</Text> : null}
            <Text dimColor>{s.finished.status === 'ok' && done ? hintFor(done.keys, 'quit') : `${hintLine(doneKeys)}${report && report.lines.length > pageHeight ? `  ${hintLine(PAGER_KEYS)}` : ''}`}</Text>
          </Box>
        ) : pending?.kind === 'checklist' ? (
          <ChecklistPrompt key={`cl-${pending.req.items.map((i) => `${i.id}${i.ok}`).join()}`} p={pending} production={s.production} />
        ) : pending?.kind === 'sign-off' ? (
          <SignOffPrompt p={pending} operator={operator} />
        ) : pending?.kind === 'confirm' ? (
          <ConfirmPrompt p={pending} />
        ) : sessionShown && s.session ? (
          renderSession!(s.session, s, false)
        ) : live && live.status === 'running' ? (
          <Box flexDirection="column">
            <LiveStep v={live} columns={columns} tail={bigTail ? 15 : 5} />
            {stopping ? <Text color="yellow">Stopping after this step finishes safely; the walk can be resumed (start the TUI again, or npx {resumeCommand(s.runbook, s.env, s.dryRun)}).</Text> : null}
            <Text dimColor>{hintLine(WALK_KEYS)}</Text>
          </Box>
        ) : (
          <Text>
            <Spinner type="dots" /> {stopping ? 'Stopping…' : s.steps.some((x) => x.status !== 'pending') ? 'Working…' : 'Starting…'}
          </Text>
        )}
      </Box>
    </Box>
  );
}
