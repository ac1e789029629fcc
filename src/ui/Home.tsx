// The home screen: choose runbook, environment and mode; the operator's name is remembered.
import React, { useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import { useKeys } from './use-keys.js';
import { HOME_KEYS, NAME_KEYS, actionFor, hintItems, keyFor, isText, keyName, keyNames } from './keymap.js';
import { HelpBox } from './HelpBox.js';
import { HintLine } from './HintLine.js';
import { packedRows, wrappedRows } from './fit.js';
import { useTerminalSize } from './use-terminal-size.js';
import { homeReducer, initialHome, selection, MODES, type HomeEvent, type HomeState, type RunbookChoice } from './home-state.js';

export interface HomeProps {
  runbooks: RunbookChoice[];
  remembered: { runbook?: string; env?: string; mode?: string; operator?: string };
  workspace: string;
  onDone: (s: HomeState) => void;
}

function Column({ title, items, selected, focused, danger, narrow }: { title: string; items: string[]; selected: number; focused: boolean; danger?: (item: string) => boolean; narrow?: boolean }): React.JSX.Element {
  return (
    <Box flexDirection="column" marginRight={narrow ? 1 : 2} minWidth={narrow ? 12 : 16}>
      <Text bold underline={focused}>{focused ? `> ${title}` : `  ${title}`}</Text>
      {items.map((it, i) => {
        const sel = i === selected;
        // Under 70 columns the three columns fit on one row only with the short mark.
        const label = danger?.(it) ? `${it} ${narrow ? '(PROD)' : '(PRODUCTION)'}` : it;
        return (
          <Text key={it} inverse={sel && focused} color={danger?.(it) ? 'red' : undefined} bold={sel} wrap="truncate-end">
            {sel ? '(*) ' : '( ) '}
            {label}
          </Text>
        );
      })}
    </Box>
  );
}

/** The first screen of the TUI. */
export function Home({ runbooks, remembered, workspace, onDone }: HomeProps): React.JSX.Element {
  // The reducer runs at once on a ref, so a key arriving before the next render sees its effect.
  const ref = useRef<HomeState | undefined>(undefined);
  ref.current ??= initialHome(runbooks, remembered);
  const [s, setS] = useState(ref.current);
  const dispatch = (e: HomeEvent): void => {
    ref.current = homeReducer(ref.current!, e);
    setS(ref.current);
  };
  useKeys((input, key) => {
    if (ref.current!.editing) {
      // Letters are the name; the keys of NAME_KEYS submit, delete and cancel.
      const a = actionFor(NAME_KEYS, keyName(input, key));
      if (a === 'submit') dispatch({ type: 'submit' });
      else if (a === 'cancel') dispatch({ type: 'cancel' });
      else if (a === 'delete') dispatch({ type: 'backspace' });
      else if (isText(input, key)) {
        // A fast typist (or a paste, or tmux send-keys) delivers "name\r" as one chunk.
        const [text = '', ...rest] = input.split(/[\r\n]/);
        if (text) dispatch({ type: 'type', text });
        if (rest.length) dispatch({ type: 'submit' });
      }
      return;
    }
    for (const name of keyNames(input, key)) {
      const action = actionFor(HOME_KEYS, name);
      if (action) dispatch({ type: 'key', action });
    }
  });
  useEffect(() => {
    if (s.done) onDone(s);
  }, [s, onDone]);
  const sel = selection(s);
  const prod = Boolean(sel.runbook && sel.env && sel.runbook.production.includes(sel.env));
  const training = sel.mode === 'training';
  const { columns, rows } = useTerminalSize();
  const narrow = columns < 70;
  const rollbackHow = 'Emergency rollback, any time: npx rollout rollback --env ENV (production: add --force).';
  // Rows above and below the help box, so that the box is cut to what is left and the title line
  // never scrolls off the top of a small terminal.
  const operatorText = `Operator: ${s.editing ? `${s.draft || ' '}  type your name, ${keyFor(NAME_KEYS, 'submit')} to keep it` : (s.operator ?? `not set yet (${keyFor(HOME_KEYS, 'start')} or ${keyFor(HOME_KEYS, 'edit-operator')} to give your name)`)}`;
  const around = (training || prod ? 1 : 0) + 1 + wrappedRows(operatorText, columns) + 1 + 1 + packedRows(hintItems(HOME_KEYS), columns);
  return (
    <Box flexDirection="column">
      {training ? <Text inverse bold> TRAINING — dry-run, nothing is changed </Text> : null}
      {prod && !training ? <Text inverse bold color="red"> !!! PRODUCTION — changes are real !!! </Text> : null}
      <Text bold wrap="truncate-middle">{`guarded-rollout · ${workspace}`}</Text>
      <Text>
        Operator: {s.editing ? <Text inverse>{s.draft || ' '}</Text> : s.operator ? <Text bold>{s.operator}</Text> : <Text dimColor>not set yet ({keyFor(HOME_KEYS, 'start')} or {keyFor(HOME_KEYS, 'edit-operator')} to give your name)</Text>}
        {s.editing ? <Text dimColor>  type your name, {keyFor(NAME_KEYS, 'submit')} to keep it</Text> : null}
      </Text>
      {s.help ? (
        <Box marginTop={1}>
          <HelpBox keys={HOME_KEYS} extra={[rollbackHow]} fit={{ columns, rows: rows - around }} />
        </Box>
      ) : (
        <>
          <Box marginTop={1}>
            {runbooks.length === 0 ? (
              <Text color="red">No runbooks found in runbooks/: add one (see runbooks/dhash.yaml in the package).</Text>
            ) : (
              <>
                <Column title="Runbook" items={runbooks.map((r) => r.name)} selected={s.runbook} focused={s.field === 0} narrow={narrow} />
                <Column title="Environment" items={sel.runbook?.environments ?? []} selected={s.env} focused={s.field === 1} danger={(e) => Boolean(sel.runbook?.production.includes(e))} narrow={narrow} />
                <Column title="Mode" items={[...MODES]} selected={s.mode} focused={s.field === 2} narrow={narrow} />
              </>
            )}
          </Box>
          {sel.runbook ? <Text dimColor>{sel.runbook.title}</Text> : null}
        </>
      )}
      <Box marginTop={1}>
        <HintLine keys={HOME_KEYS} />
      </Box>
    </Box>
  );
}
