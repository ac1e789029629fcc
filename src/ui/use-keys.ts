// useInput with the latest render's handler: Ink re-registers a handler in an effect, a moment
// after the frame is drawn, so a key pressed in that moment (a fast typist, a paste, tmux) would
// reach the previous screen's handler. Calling through a ref set during render avoids that.
import { useRef } from 'react';
import { useInput, type Key } from 'ink';

/** Like Ink's useInput, always calling the newest handler. */
export function useKeys(handler: (input: string, key: Key) => void, opts: { isActive?: boolean } = {}): void {
  const ref = useRef(handler);
  ref.current = handler;
  useInput((input, key) => ref.current(input, key), opts);
}
