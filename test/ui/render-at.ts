// Rendering a screen with ink-testing-library at a fixed terminal size (80x24 unless told), colour
// stripped, with helpers to wait for a frame and to resize the terminal the way a real one does.
import type React from 'react';
import { render } from 'ink-testing-library';
import { turn, waitForFrame, waitUntil, type FrameWant } from '../helpers/frames.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** A frame without colour codes. */
export function plain(s: string | undefined): string {
  return (s ?? '').replace(ANSI, '');
}

/** A frame with borders removed and every run of whitespace made one space, for sentences that wrap. */
export function flat(s: string): string {
  return s.replace(/[│║┌┐└┘╔╗╚╝─═]/g, ' ').replace(/\s+/g, ' ');
}

/** Let Ink finish what a key or an event started: renders, layout and passive effects (a few event-loop turns, no wall time). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn();
}

export type Rendered = ReturnType<typeof render> & {
  frame: () => string;
  resize: (columns: number, rows: number) => void;
  /** Sends each key once a key handler listens, letting the screen settle after each. */
  press: (...keys: string[]) => Promise<void>;
  /** Sends a key whether or not a handler listens (to show that none takes it), then lets the screen settle. */
  send: (key: string) => Promise<void>;
  /** Waits for a frame that shows `want` (text, pattern or predicate), naming it on timeout. */
  waitFor: (want: FrameWant, ms?: number, what?: string) => Promise<string>;
};

/** Render at columns x rows. */
export function renderAt(tree: React.ReactElement, columns = 80, rows = 24): Rendered {
  const r = render(tree);
  const resize = (c: number, h: number): void => {
    Object.defineProperty(r.stdout, 'columns', { value: c, configurable: true });
    Object.defineProperty(r.stdout, 'rows', { value: h, configurable: true });
    r.stdout.emit('resize');
  };
  resize(columns, rows);
  const frame = (): string => plain(r.lastFrame());
  // Ink reads stdin only while some useInput is active: a key written before that is lost.
  const listening = (): boolean => r.stdin.listenerCount('readable') > 0;
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      await settle();
      await waitUntil(listening, Boolean, `a key handler to listen before sending ${JSON.stringify(k)}`, { show: () => frame() });
      r.stdin.write(k);
    }
    await settle();
  };
  const send = async (k: string): Promise<void> => {
    r.stdin.write(k);
    await settle();
  };
  const waitFor = (want: FrameWant, ms = 10_000, what?: string): Promise<string> => waitForFrame(frame, want, { ms, ...(what ? { what } : {}) });
  return Object.assign(r, { frame, resize, press, send, waitFor });
}

/** Key sequences as a terminal sends them. */
export const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', escape: '\u001b', space: ' ', ctrlC: '\u0003', backspace: '\u007f' } as const;
