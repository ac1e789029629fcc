// Rendering a screen with ink-testing-library at a fixed terminal size (80x24 unless told), colour
// stripped, with helpers to wait for a frame and to resize the terminal the way a real one does.
import type React from 'react';
import { render } from 'ink-testing-library';

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

/** Let Ink and pending promises run. */
export const tick = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Rendered = ReturnType<typeof render> & { frame: () => string; resize: (columns: number, rows: number) => void; press: (...keys: string[]) => Promise<void>; waitFor: (text: string | RegExp, ms?: number) => Promise<string> };

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
  const press = async (...keys: string[]): Promise<void> => {
    // A screen that has just been drawn registers its key handler a moment later (an effect).
    await tick(40);
    for (const k of keys) {
      r.stdin.write(k);
      await tick();
    }
  };
  const waitFor = async (text: string | RegExp, ms = 5000): Promise<string> => {
    const end = Date.now() + ms;
    for (;;) {
      const f = frame();
      if (typeof text === 'string' ? f.includes(text) : text.test(f)) return f;
      if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; last frame:\n${f}`);
      await tick(20);
    }
  };
  return Object.assign(r, { frame, resize, press, waitFor });
}

/** Key sequences as a terminal sends them. */
export const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', escape: '\u001b', space: ' ', ctrlC: '\u0003', backspace: '\u007f' } as const;
