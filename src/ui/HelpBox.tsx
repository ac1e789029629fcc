// The help box every screen shows on ?: the keys in force there, from the keymap, titled by the
// screen or dialog they belong to, and whatever the screen adds (how to roll back).
import React from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import { wrappedRows } from './fit.js';
import { helpRows, helpTitle, type KeyBinding } from './keymap.js';

/** Border, padding and the title row around the help rows. */
const FRAME_ROWS = 3;

/**
 * The keys of `keys` with what each does, then the screen's own lines. `oneLine` keeps each key on
 * one row (cut at the edge) where the screen's header must stay on a small terminal (the monitor).
 * `fit` (the box's width and the rows it may take): the help is wrapped when it fits there, else
 * one row a key, else the first keys and a row saying how many more a taller terminal shows.
 */
export function HelpBox({ keys, extra = [], oneLine = false, fit }: { keys: KeyBinding[]; extra?: string[]; oneLine?: boolean; fit?: { columns: number; rows: number } }): React.JSX.Element {
  const all = helpRows(keys);
  const w = Math.max(6, ...all.map((r) => r.keys.length));
  let compact = oneLine;
  let rows = all;
  if (fit) {
    const inner = fit.columns - 4;
    const extraRows = extra.reduce((n, l) => n + wrappedRows(l, inner), 0);
    const wrapped = FRAME_ROWS + extraRows + all.reduce((n, r) => n + wrappedRows(r.help, inner - (w + 1)), 0);
    if (wrapped > fit.rows) compact = true;
    const room = fit.rows - FRAME_ROWS - extraRows;
    if (compact && all.length > room) rows = all.slice(0, Math.max(0, room - 1));
  }
  const more = all.length - rows.length;
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>{helpTitle(keys)}</Text>
      {/* Two columns, the help wrapped beside its keys: the whole sentence must be readable. */}
      {rows.map((r) => (
        <Box key={r.keys}>
          <Box width={w + 1} flexShrink={0}>
            <Text>{r.keys}</Text>
          </Box>
          <Text wrap={compact ? 'truncate-end' : 'wrap'}>{r.help}</Text>
        </Box>
      ))}
      {more > 0 ? <Text dimColor>{`… ${more} more key${more === 1 ? '' : 's'}: a taller terminal shows them`}</Text> : null}
      {extra.map((l) => (
        <Text key={l} wrap="wrap">
          {l}
        </Text>
      ))}
    </Box>
  );
}
