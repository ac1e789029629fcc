// Text that reaches a terminal: operator-supplied strings (a --version, a message, an environment
// name, a file name inside a backup) may carry escape sequences that recolour, retitle or rewrite
// the screen. One helper makes every control character visible before anything is printed.

// C0 controls except \t and \n, DEL, C1 controls (\x9b is a one-byte CSI), and the Unicode
// bidirectional overrides that make text read differently from what it is.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every control character shown as an escape (`\x1b`, `\r`, `\u202e`); newlines and tabs kept. */
export function terminalSafe(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\r') return '\\r';
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** For one-line contexts (a name inside a sentence): newlines and tabs escaped too. */
export function escapeControl(s: string): string {
  return terminalSafe(s).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
