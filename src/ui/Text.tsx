// Every string an Ink screen draws goes through here: runbook titles and steps, environment and
// gate names, service answers, journal lines, backup names and error messages can carry escape
// sequences (ESC[2J clears the screen), carriage returns or bidi overrides. Ink passes them to the
// terminal as they are; this Text shows each control character as an escape (\x1b, \r, \u202e)
// instead. eslint forbids importing Text from 'ink' anywhere else in src/ui, so no string can
// reach the screen without it.
import React from 'react';
import { Text as InkText, type TextProps } from 'ink';
import { terminalSafe } from '../domain/terminal-text.js';

/** The string children of a Text made terminal-safe; elements (nested Texts) escape their own. */
export function safeChildren(children: React.ReactNode): React.ReactNode {
  const one = (c: React.ReactNode): React.ReactNode => {
    if (typeof c === 'string') return terminalSafe(c);
    // A fragment's strings are this Text's strings too.
    if (React.isValidElement<{ children?: React.ReactNode }>(c) && c.type === React.Fragment) return React.cloneElement(c, undefined, safeChildren(c.props.children));
    return c;
  };
  return Array.isArray(children) ? React.Children.map(children, one) : one(children);
}

/** Ink's Text, with every string it draws escaped (src/domain/terminal-text.ts). */
export function Text({ children, ...props }: TextProps): React.JSX.Element {
  return <InkText {...props}>{safeChildren(children)}</InkText>;
}
