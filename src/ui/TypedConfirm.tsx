// The one typed confirmation: production (and training, which practises it) changes nothing until
// the environment's name is typed exactly and enter pressed. Used by the sign-off, the on-call and
// monitor rollback confirmations, the demo set-up offer, the walk's confirm step and tune's write.
// Keys from TYPED_CONFIRM_KEYS; letters are the typed text; arrows are left to the caller (the
// rollback confirmation moves through its list of backups with them).
import React, { useRef, useState } from 'react';
import { Text } from './Text.js';
import { useDialog, useKeys } from './use-keys.js';
import { TYPED_CONFIRM_KEYS, actionFor, hintLine, keyFor, isText, keyName } from './keymap.js';

/** What the operator typed, and the note after a wrong name. */
export interface TypedState {
  typed: string;
  note: string;
}

/** The longest text kept (a paste of a whole file must not grow the screen). */
const MAX = 64;

/**
 * The typed-confirmation input: enter with the exact name confirms, a wrong name says so and
 * changes nothing, enter with nothing typed calls onEmpty (when given), esc or Ctrl-C cancels.
 * A paste or tmux send-keys may deliver "name\r" in one chunk: that confirms too.
 */
export function useTypedConfirm(o: { expected: string; active?: boolean; layer?: symbol; onConfirm: () => void; onCancel: () => void; onEmpty?: () => void; nothing?: string }): TypedState {
  // A ref, not the render's closure: typed keys may arrive faster than renders.
  const typed = useRef('');
  const [note, setNote] = useState('');
  const [, rerender] = useState(0);
  const submit = (): void => {
    if (typed.current === o.expected) return o.onConfirm();
    if (typed.current === '' && o.onEmpty) return o.onEmpty();
    // A wrong name starts over, so no stray letters carry into the next try.
    setNote(`That is not "${o.expected}"; ${o.nothing ?? 'nothing changed'}. Type it exactly, or ${keyFor(TYPED_CONFIRM_KEYS, 'cancel')}.`);
    typed.current = '';
  };
  useKeys(
    (input, key) => {
    const a = actionFor(TYPED_CONFIRM_KEYS, keyName(input, key));
    if (a === 'cancel') return o.onCancel();
    if (a === 'submit') return submit();
    if (a === 'delete') {
      typed.current = typed.current.slice(0, -1);
      return rerender((x) => x + 1);
    }
    if (!isText(input, key)) return;
    const [first = '', ...rest] = input.split(/[\r\n]/);
    typed.current = (typed.current + first).replace(/\t/g, '').slice(0, MAX);
    rerender((x) => x + 1);
    if (rest.length) submit();
    },
    { isActive: o.active !== false, ...(o.layer ? { layer: o.layer } : {}) },
  );
  return { typed: typed.current, note };
}

/** The line that asks for the name, with what is typed so far and the note after a wrong name. */
export function TypedPrompt({ label = 'PRODUCTION', expected, verb = 'confirm', extra, state, showHint = false }: { label?: string; expected: string; verb?: string; extra?: string; state: TypedState; showHint?: boolean }): React.JSX.Element {
  return (
    <>
      <Text bold color="red" wrap="wrap">
        {label}: type "{expected}" and {keyFor(TYPED_CONFIRM_KEYS, 'submit')} to {verb}
        {extra ? `, ${extra}` : ''}, {keyFor(TYPED_CONFIRM_KEYS, 'cancel')} to cancel: <Text inverse>{state.typed || ' '}</Text>
      </Text>
      {showHint ? <Text dimColor>{hintLine(TYPED_CONFIRM_KEYS)}</Text> : null}
      {state.note ? <Text color="yellow">{state.note}</Text> : null}
    </>
  );
}

/** Input and prompt together, for callers with nothing else on the line: a dialog while active. */
export function TypedConfirm(p: { label?: string; expected: string; verb?: string; extra?: string; active?: boolean; onConfirm: () => void; onCancel: () => void; onEmpty?: () => void; nothing?: string; showHint?: boolean }): React.JSX.Element {
  const layer = useDialog(p.active !== false);
  const state = useTypedConfirm({ ...p, layer });
  return <TypedPrompt {...(p.label ? { label: p.label } : {})} expected={p.expected} {...(p.verb ? { verb: p.verb } : {})} {...(p.extra ? { extra: p.extra } : {})} state={state} showHint={Boolean(p.showHint)} />;
}
