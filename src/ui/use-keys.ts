// Input for screens and dialogs. useInput with the latest render's handler: Ink re-registers a
// handler in an effect, a moment after the frame is drawn, so a key pressed in that moment (a fast
// typist, a paste, tmux) would reach the previous screen's handler; calling through a ref set
// during render avoids that. `isActive` is read the same way: at the key, as last drawn.
//
// Focus: the innermost open dialog (useDialog) takes the keys; every other handler is inactive
// meanwhile (Ink's isActive), so the screen below a dialog never reacts to the dialog's keys.
import { useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import { useInput, useStdin, type Key } from 'ink';
import { actionFor, keyNames, type KeyBinding } from './keymap.js';

/** The dialogs open in one Ink app, innermost last. */
class FocusStack {
  private open: symbol[] = [];
  private fns = new Set<() => void>();
  subscribe = (fn: () => void): (() => void) => {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  };
  top = (): symbol | undefined => this.open[this.open.length - 1];
  push(id: symbol): () => void {
    this.open = [...this.open, id];
    this.fns.forEach((f) => f());
    return () => {
      this.open = this.open.filter((x) => x !== id);
      this.fns.forEach((f) => f());
    };
  }
}

// One focus a terminal: keyed by the app's stdin, so that two apps (two tests) never share one.
const stacks = new WeakMap<object, FocusStack>();

function useStack(): FocusStack {
  const { stdin } = useStdin();
  let s = stacks.get(stdin);
  if (!s) stacks.set(stdin, (s = new FocusStack()));
  return s;
}

/**
 * Makes the calling component a dialog while `open`: handlers given its id (useKeys' `layer`)
 * keep the keys; every other handler is inactive until it closes.
 */
export function useDialog(open = true): symbol {
  const stack = useStack();
  const id = useRef(Symbol('dialog')).current;
  // A layout effect: the focus moves as the dialog is drawn, before the next key can arrive.
  useLayoutEffect(() => (open ? stack.push(id) : undefined), [open, stack, id]);
  return id;
}

/** Whether a handler of `layer` (a dialog's id; none: a screen) has the focus. */
export function useHasFocus(layer?: symbol): boolean {
  const stack = useStack();
  const top = useSyncExternalStore(stack.subscribe, stack.top);
  return top === undefined || top === layer;
}

function focusedNow(stack: FocusStack, layer: symbol | undefined): boolean {
  const top = stack.top();
  return top === undefined || top === layer;
}

/** Like Ink's useInput, always calling the newest handler, and only while its layer has the focus and `isActive`. */
export function useKeys(handler: (input: string, key: Key) => void, opts: { isActive?: boolean; layer?: symbol } = {}): void {
  const stack = useStack();
  const active = useHasFocus(opts.layer) && opts.isActive !== false;
  const ref = useRef({ handler, active, layer: opts.layer });
  ref.current = { handler, active, layer: opts.layer };
  useInput(
    (input, key) => {
      // Read at the key as well: a dialog opened since the last render already has the focus.
      if (ref.current.active && focusedNow(stack, ref.current.layer)) ref.current.handler(input, key);
    },
    { isActive: active },
  );
}

/**
 * Input through a keymap table: each key of the event is looked up and its action dispatched to
 * `on`; `on` returning true stops the rest of the chunk (the screen has changed).
 */
export function useKeymap<A extends string>(keys: KeyBinding<A>[], on: (action: A, name: string) => boolean | void, opts: { isActive?: boolean; layer?: symbol } = {}): void {
  useKeys((input, key) => {
    for (const n of keyNames(input, key)) {
      const a = actionFor(keys, n);
      if (a && on(a, n) === true) return;
    }
  }, opts);
}

/** A question as a dialog: the table's `yes` action answers true, any other bound key false. */
export function useQuestion<A extends string>(keys: KeyBinding<A>[], yes: A, onAnswer: (yes: boolean) => void): void {
  const layer = useDialog();
  useKeymap(
    keys,
    (a) => {
      onAnswer(a === yes);
      return true;
    },
    { layer },
  );
}
