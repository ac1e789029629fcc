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
  // Keyed by its wrap mode, so that a change of mode is a new node, measured afresh. Ink (6.8)
  // re-lays out the old tree at once on a resize, caching each text's height at the new width,
  // and a wrap change alone does not mark the node for measuring again: a help row that switched
  // from wrapped to cut kept its wrapped height (blank rows in the help box after 80 -> 60 columns).
  return (
    <InkText key={props.wrap ?? 'wrap'} {...props}>
      {safeChildren(children)}
    </InkText>
  );
}
