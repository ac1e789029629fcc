// The monitor screen: header (env, version, T+mm:ss, phase, cadence, next-poll countdown), one row
// per gate (value, threshold and window, state in words and colour, sparkline), a larger
// asciichart of the selected gate, the latest events, key hints from MONITOR_KEYS. r rolls back
// (after a confirmation), e extends, n sends a test notification, l log pane, ? help, q quit.
import React, { useEffect, useState, useSyncExternalStore } from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import { HintLine } from './HintLine.js';
import { useKeymap, useQuestion } from './use-keys.js';
import asciichart from 'asciichart';
import { ON_SCREEN, formatValue, tPlus, windowProgress } from '../domain/format.js';
import { HELP_KEYS, MONITOR_AFTER_KEYS, MONITOR_KEYS, MONITOR_LOG_KEYS, MONITOR_QUIT_KEYS, hintLine, type KeyBinding, type MonitorAction, type MonitorLogAction } from './keymap.js';
import { HelpBox } from './HelpBox.js';
import type { MonitorFeed } from './monitor-feed.js';
import { statusColor, statusWord, type GateRow, type MonitorViewState } from './monitor-state.js';
import { RollbackConfirm, RollbackPanel, rollbackPanelRows, type OfferState } from './RollbackPanel.js';
import type { RollbackOffer } from '../usecases/rollback-offer.js';
import { Banner } from './Banner.js';
import { Pager, scroll } from './Pager.js';
import { useTerminalSize } from './use-terminal-size.js';

const BLOCKS = '▁▂▃▄▅▆▇█';


/**
 * A one-line sparkline of the last `width` values. With a threshold the scale runs from 0 (or the
 * lowest value) to the threshold (or the highest value), so a flat series is flat and a value near
 * the line draws near the top; without one it spans the values.
 */
export function sparkline(values: number[], width: number, threshold?: number): string {
  const v = values.slice(-width);
  if (v.length === 0 || width <= 0) return '';
  const lo = threshold === undefined ? Math.min(...v) : Math.min(0, ...v);
  const hi = threshold === undefined ? Math.max(...v) : Math.max(threshold, ...v);
  return v.map((x) => BLOCKS[hi === lo ? 0 : Math.round(((x - lo) / (hi - lo)) * (BLOCKS.length - 1))]).join('');
}

/**
 * The chart of one gate with the threshold as its own labelled row: the data is plotted alone on a
 * scale that includes the threshold, then the threshold's row is drawn in the gaps between the
 * data's cells (so it never hides a value) and labelled with the threshold itself.
 */
export function chartLines(data: number[], threshold: number, unit: string, height: number): string[] {
  const lo = Math.min(0, threshold, ...data);
  const hi = Math.max(threshold, ...data);
  const label = (x: number): string => formatValue(Math.round(x * 100) / 100, '', ON_SCREEN).padStart(9);
  const lines = asciichart.plot(data, { height, min: lo, max: hi === lo ? lo + 1 : hi, format: label }).split('\n');
  const range = (hi === lo ? 1 : hi - lo);
  const row = Math.round(((hi - threshold) / range) * height);
  const line = lines[row];
  if (line !== undefined) {
    const axis = Math.max(line.indexOf('┤'), line.indexOf('┼'));
    const body = line.slice(axis + 1).replace(/ /g, '╌');
    lines[row] = `${formatValue(threshold, '', ON_SCREEN).padStart(9)} ┼${body} threshold ${formatValue(threshold, unit, ON_SCREEN)}`;
  }
  return lines;
}

/** What the screen does through the services. */
export interface MonitorActions {
  /** What runs now and the verified backups a rollback could restore (newest first), or throws. */
  offer: () => Promise<RollbackOffer>;
  /** The version the target runs now (read once a rollback is over). */
  runningVersion: () => Promise<string | undefined>;
  /** Send a test notification; resolves with one line saying where it went. */
  sendTest: () => Promise<string>;
}

export interface MonitorScreenProps {
  feed: MonitorFeed;
  production: boolean;
  training: boolean;
  actions: MonitorActions;
  /** Called once the operator has quit (the monitor was stopped when it still ran). */
  onQuit: () => void;
  now?: () => number;
  /** The on-call path: open straight on the rollback confirmation. */
  openOnRollback?: boolean;
  /** Rows used above this screen (the walk's header), so that it fits the terminal. */
  reservedRows?: number;
  /** The walk draws its own banner above; the stand-alone monitor draws one. */
  showBanner?: boolean;
  /** How to resume after quitting (a walk resumes the walk; the stand-alone monitor its window). */
  resumeHint?: string;
}

function limit(g: GateRow): string {
  return `${g.comparison}${formatValue(g.threshold, g.unit, ON_SCREEN)} ${g.windowMinutes > 0 ? `${g.windowMinutes}m` : 'now'}`;
}

// Memoised: the once-a-second clock re-render must not redraw the chart (the idle CPU budget is 2 %).
const Chart = React.memo(function Chart({ g, height, width }: { g: GateRow; height: number; width: number }): React.JSX.Element {
  // Room for the axis labels (11) and the threshold's label at the right.
  const data = g.history.slice(-Math.max(10, width - 13 - ` threshold ${formatValue(g.threshold, g.unit, ON_SCREEN)}`.length));
  if (data.length < 2) return <Text dimColor>{g.name}: waiting for values to chart ({data.length} so far)</Text>;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {g.name} — last {data.length} values; ╌ threshold {formatValue(g.threshold, g.unit, ON_SCREEN)}
      </Text>
      <Text wrap="truncate-end">{chartLines(data, g.threshold, g.unit, height).join('\n')}</Text>
    </Box>
  );
});

// Memoised like the chart: only the header changes on the once-a-second tick.
// Columns: marker 2, name (23 + a space), value (10 + a space), limit (15 + a space), state 7,
// then the sparkline; every cell keeps a space before the next, so none collide, and the state
// word stays whole down to 60 columns (the name gives way first).
export const GATE_COLS = { marker: 2, value: 11, limit: 16, state: 7 };

/** Column widths at this terminal width (the state column as wide as the longest word shown). */
export function gateLayout(columns: number, state = GATE_COLS.state): { name: number; spark: number; state: number } {
  const fixed = GATE_COLS.marker + GATE_COLS.value + GATE_COLS.limit + state;
  const name = Math.max(10, Math.min(24, columns - fixed));
  const spark = Math.max(0, Math.min(30, columns - fixed - name - 1));
  return { name, spark, state };
}

function cell(text: string, w: number): string {
  return text.length >= w ? `${text.slice(0, w - 2)}… ` : text.padEnd(w);
}

const GateTable = React.memo(function GateTable({ gates, selected, columns }: { gates: GateRow[]; selected: number; columns: number }): React.JSX.Element {
  // "insufficient" is longer than the usual words: the column grows, the names give way.
  const w = gateLayout(columns, Math.max(GATE_COLS.state, ...gates.map((g) => statusWord(g.status).length)));
  return (
    <>
      {gates.map((g, i) => (
        <Text key={g.name} wrap="truncate-end" inverse={i === selected}>
          {i === selected ? '> ' : '  '}
          {cell(g.name, w.name)}
          {cell(formatValue(g.value, g.unit, ON_SCREEN), GATE_COLS.value)}
          {cell(limit(g), GATE_COLS.limit)}
          <Text color={statusColor(g.status)} bold={g.status === 'breach'}>
            {statusWord(g.status).padEnd(w.state)}
          </Text>
          {w.spark > 0 ? ` ${sparkline(g.history, w.spark, g.threshold)}` : ''}
        </Text>
      ))}
    </>
  );
});

/** One event as the panes show it: its time from T0 (as the journal and headless lines give it), then what happened. */
export function eventLine(e: MonitorViewState['events'][number], t0: number | undefined): string {
  return `${t0 !== undefined ? tPlus(Math.max(e.t, t0), t0) : ''} ${e.text}`;
}

const Events = React.memo(function Events({ events, lines, t0 }: { events: MonitorViewState['events']; lines: number; t0: number | undefined }): React.JSX.Element {
  return (
    <>
      {events.slice(-lines).map((e, i) => (
        <Text key={`${i}-${e.t}-${e.text}`} color={e.level === 'error' ? 'red' : e.level === 'warn' ? 'yellow' : undefined} wrap="truncate-end">
          {eventLine(e, t0)}
        </Text>
      ))}
    </>
  );
});

/** Quitting while the window runs: only y quits; any other key (a second Ctrl-C included) stays. */
function QuitQuestion({ env, version, resumeHint, onAnswer }: { env: string; version: string | undefined; resumeHint: string | undefined; onAnswer: (quit: boolean) => void }): React.JSX.Element {
  useQuestion(MONITOR_QUIT_KEYS, 'yes', onAnswer);
  return (
    <Box borderStyle="single" borderColor="yellow" flexDirection="column" paddingX={1}>
      <Text bold wrap="wrap">Quit while the window runs? The monitor stops watching (no auto-rollback until you resume).</Text>
      <Text wrap="wrap">
        What stays running: the {env} service{version ? ` at ${version}` : ''}. {resumeHint ?? `Resume the window: npx rollout monitor --env ${env} --resume`}
      </Text>
      <Text>{hintLine(MONITOR_QUIT_KEYS)}</Text>
    </Box>
  );
}

type Mode = { kind: 'main' } | { kind: 'help' } | { kind: 'quit' } | ({ kind: 'confirm' } & OfferState);

/** The monitor screen. */
export function MonitorScreen({ feed, production, training, actions, onQuit, now = Date.now, openOnRollback, reservedRows = 0, showBanner = true, resumeHint }: MonitorScreenProps): React.JSX.Element {
  const s = useSyncExternalStore(
    (fn) => feed.subscribe(fn),
    () => feed.state,
  );
  const { columns, rows } = useTerminalSize();
  const [, setTick] = useState(0);
  const [mode, setMode] = useState<Mode>({ kind: 'main' });
  const [logPane, setLogPane] = useState(false);
  // Where the log pane is scrolled to: undefined follows the newest events (as tail -f does).
  const [logAt, setLogAt] = useState<number | undefined>(undefined);
  const live = s.started && !s.done;
  // One re-render a second for the clock and the countdown; nothing else runs while idle.
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setTick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [live]);
  const openConfirm = (): void => {
    setMode({ kind: 'confirm', loading: true });
    actions.offer().then(
      (o) => setMode((m) => (m.kind === 'confirm' ? { kind: 'confirm', loading: false, offer: o } : m)),
      (e: unknown) => setMode((m) => (m.kind === 'confirm' ? { kind: 'confirm', loading: false, error: e instanceof Error ? e.message : String(e) } : m)),
    );
  };
  // Once a rollback is over, what runs now is read back from the target (header, closing line).
  const rbOver = Boolean(s.rollback?.done);
  useEffect(() => {
    if (!rbOver) return;
    let live = true;
    actions.runningVersion().then(
      (v) => live && feed.dispatch({ type: 'ui-runs', version: v }),
      () => live && feed.dispatch({ type: 'ui-runs', version: undefined }),
    );
    return () => {
      live = false;
    };
  }, [rbOver, actions, feed]);
  // The on-call path opens on the confirmation once, at mount.
  const [opened] = useState(() => Boolean(openOnRollback));
  useEffect(() => {
    if (opened) openConfirm();
  }, [opened]);
  // The keys in force now: the log pane's, the reduced set during a rollback or after the window,
  // or the full monitor set; hints and help are drawn from the same table. While a dialog is open
  // (the rollback confirmation, the quit question) it has the focus and these handlers are inactive.
  const keys = s.rollback || s.done ? MONITOR_AFTER_KEYS : MONITOR_KEYS;
  const hintKeys: KeyBinding[] = logPane ? MONITOR_LOG_KEYS : keys;
  const onLogKey = (la: MonitorLogAction): boolean | void => {
    if (la === 'log') {
      setLogPane(false);
      return setLogAt(undefined);
    }
    if (la === 'help' || la === 'quit') return onMonitorKey(la);
    const total = s.events.length;
    const end = Math.max(0, total - logHeight);
    // Functional: several keys in one chunk ("kkk") each count. Back at the end: follow again.
    setLogAt((at) => {
      const next = scroll(at ?? end, la, total, logHeight);
      return next >= end ? undefined : next;
    });
  };
  const onMonitorKey = (a: MonitorAction): boolean | void => {
    switch (a) {
      case 'up':
        return feed.dispatch({ type: 'ui-select', delta: -1 });
      case 'down':
        return feed.dispatch({ type: 'ui-select', delta: 1 });
      case 'rollback':
        if (s.done) return feed.dispatch({ type: 'ui-note', t: now(), level: 'warn', text: 'the window is over; roll back with: npx rollout rollback --env ' + s.env });
        if (s.rollback) return feed.dispatch({ type: 'ui-note', t: now(), level: 'info', text: 'a rollback is already under way' });
        openConfirm();
        return true;
      case 'extend':
        if (live) feed.monitor.extend(15);
        return;
      case 'notify':
        feed.dispatch({ type: 'ui-note', t: now(), level: 'info', text: 'sending a test notification…' });
        actions.sendTest().then(
          (r) => feed.dispatch({ type: 'ui-note', t: now(), level: 'info', text: `test notification: ${r}` }),
          (e: unknown) => feed.dispatch({ type: 'ui-note', t: now(), level: 'error', text: `test notification failed: ${e instanceof Error ? e.message : String(e)}` }),
        );
        return;
      case 'log':
        return setLogPane((l) => !l);
      case 'help':
        setMode({ kind: 'help' });
        return true;
      case 'quit':
        if (live) setMode({ kind: 'quit' });
        else onQuit();
        return true;
    }
  };
  const onMain = mode.kind === 'main';
  useKeymap(MONITOR_LOG_KEYS, onLogKey, { isActive: onMain && logPane });
  useKeymap(MONITOR_KEYS, onMonitorKey, { isActive: onMain && !logPane && keys === MONITOR_KEYS });
  useKeymap(MONITOR_AFTER_KEYS, onMonitorKey, { isActive: onMain && !logPane && keys === MONITOR_AFTER_KEYS });
  // The help box: any key closes it.
  useKeymap(
    HELP_KEYS,
    () => {
      setMode({ kind: 'main' });
      return true;
    },
    { isActive: mode.kind === 'help' },
  );
  const t = now();
  const elapsed = s.started ? Math.max(0, Math.min(t, s.done ? s.done.endedAt : t) - s.t0) : 0;
  const total = s.endAt - s.t0;
  const nextIn = s.nextPollAt !== undefined && live ? Math.max(0, Math.ceil((s.nextPollAt - t) / 1000)) : undefined;
  const sel = s.gates[s.selected];
  // Rows: header (2, +title, +banner), table header and gates, events title, hints; the chart
  // (its height + 2 lines) and the events share what is left, so 80x24 fits and 160x48 uses the room.
  const fixed = reservedRows + 2 + (columns < 80 ? 1 : 0) + (columns < 70 ? 1 : 0) + (feed.monitor.title ? 1 : 0) + (showBanner && (production || training) ? 1 : 0) + 1 + s.gates.length + 1 + 1;
  const avail = Math.max(0, rows - fixed);
  const chartH = !logPane && avail >= 6 ? Math.min(16, Math.max(2, Math.floor((avail - 2) * 0.6))) : 0;
  // While the rollback panel replaces the gate table, the events get what the panel leaves (the
  // header must stay on screen: it says what runs).
  const rbRows = s.rollback ? rollbackPanelRows(s.rollback, s.env, columns) + (s.runsNow !== undefined ? 1 : 0) - s.gates.length : 0;
  const eventLines = s.rollback ? Math.max(0, avail - rbRows + (s.done ? -1 : 0)) : Math.max(2, avail - (chartH ? chartH + 2 : 0));
  const logHeight = Math.max(1, eventLines - (s.rollback ? 1 : 0));
  const header = (
    <>
      {showBanner ? <Banner training={training} production={production} env={s.env} dryRun={training} /> : null}
      <Text bold wrap={columns < 80 ? 'wrap' : 'truncate-end'}>
        MONITOR {s.env}
        {s.version ? ` ${s.version}` : ''} · {windowProgress(elapsed, total)} · {s.done ? `DONE: ${s.done.result}` : nextIn !== undefined ? `next poll in ${nextIn} s` : s.started ? 'polling…' : 'starting…'}
      </Text>
      {feed.monitor.title ? (
        <Text color="yellow" wrap="truncate-end">
          {feed.monitor.title}
        </Text>
      ) : null}
      <Text dimColor wrap="truncate-end">
        phase {s.phase + 1} · {s.intervalSeconds !== undefined ? `polls every ${s.intervalSeconds} s` : 'first poll now'}{s.adaptive ? ' (adaptive)' : ''} · {s.polls} {s.polls === 1 ? 'poll' : 'polls'} · source {s.source || '…'}
        {s.started && !s.rollbackAvailable ? ' · AUTO-ROLLBACK UNAVAILABLE' : ''}
      </Text>
    </>
  );
  let body: React.ReactNode;
  if (mode.kind === 'help') {
    const rollbackHow = keys === MONITOR_KEYS ? `A rollback (r) restores a verified backup you choose (newest first): integrity check, restore, 3 OK health checks, smoke tests, incident. From any terminal: npx rollout rollback --env ${s.env}` : `From any terminal: npx rollout rollback --env ${s.env}`;
    body = <HelpBox keys={logPane ? MONITOR_LOG_KEYS : keys} extra={[rollbackHow]} oneLine />;
  } else if (mode.kind === 'confirm') {
    body = (
      <RollbackConfirm
        env={s.env}
        production={production}
        state={mode}
        now={Date.now}
        {...(training ? { typedLabel: 'TRAINING (typed as production asks)' } : {})}
        onAnswer={(file) => {
          setMode({ kind: 'main' });
          if (file) void feed.monitor.requestRollback('operator pressed r on the monitor screen', file);
          else feed.dispatch({ type: 'ui-note', t: now(), level: 'info', text: 'rollback cancelled; nothing was changed' });
        }}
      />
    );
  } else if (s.rollback) {
    body = <RollbackPanel s={s.rollback} env={s.env} />;
  } else {
    body = (
      <>
        <GateTable gates={s.gates} selected={s.selected} columns={columns} />
        {!s.started ? <Text dimColor>Waiting for the first poll…</Text> : null}
        {mode.kind === 'main' && sel && chartH >= 2 ? <Chart g={sel} height={chartH} width={columns} /> : null}
      </>
    );
  }
  return (
    <Box flexDirection="column">
      {header}
      {body}
      {mode.kind === 'quit' ? (
        <QuitQuestion
          env={s.env}
          version={s.version}
          resumeHint={resumeHint}
          onAnswer={(quit) => {
            if (!quit) return setMode({ kind: 'main' });
            feed.monitor.stop();
            onQuit();
          }}
        />
      ) : null}
      {eventLines > 0 && logPane && mode.kind !== 'quit' ? (
        <Pager title="Log of this window" lines={s.events.map((e) => eventLine(e, s.started ? s.t0 : undefined))} height={logHeight} offset={logAt ?? Math.max(0, s.events.length - logHeight)} />
      ) : eventLines > 0 ? (
        <Box flexDirection="column">
          <Text bold>Latest events</Text>
          <Events events={s.events} lines={eventLines - (s.rollback ? 1 : 0)} t0={s.started ? s.t0 : undefined} />
        </Box>
      ) : null}
      {s.rollback?.done && s.runsNow !== undefined ? (
        <Text bold color={s.rollback.done.ok ? 'green' : 'red'} wrap="wrap">
          {s.env} now runs {s.runsNow ?? 'an unknown version (the target did not say)'}.
        </Text>
      ) : null}
      {s.done && !s.rollback ? (
        <Text bold color={s.done.exitCode ? 'red' : 'green'} wrap="wrap">
          {s.done.message}
        </Text>
      ) : null}
      {mode.kind === 'confirm' || mode.kind === 'quit' ? null : (
        // Narrow: the hints wrap between hints (never inside "q quit"); wide: one row, cut at the edge.
        columns < 70 ? (
          <HintLine keys={mode.kind === 'help' ? HELP_KEYS : hintKeys} />
        ) : (
          <Text dimColor wrap="truncate-end">
            {hintLine(mode.kind === 'help' ? HELP_KEYS : hintKeys)}
          </Text>
        )
      )}
    </Box>
  );
}
