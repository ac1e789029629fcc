// The help box every screen shows on ?: the keys in force there, from the keymap, titled by the
// screen or dialog they belong to, and whatever the screen adds (how to roll back).
import React from 'react';
import { Box, Text } from 'ink';
import { helpRows, helpTitle, type KeyBinding } from './keymap.js';

/**
 * The keys of `keys` with what each does, then the screen's own lines. `oneLine` keeps each key on
 * one row (cut at the edge) where the screen's header must stay on a small terminal (the monitor).
 */
export function HelpBox({ keys, extra = [], oneLine = false }: { keys: KeyBinding[]; extra?: string[]; oneLine?: boolean }): React.JSX.Element {
  const rows = helpRows(keys);
  const w = Math.max(6, ...rows.map((r) => r.keys.length));
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>{helpTitle(keys)}</Text>
      {/* Two columns, the help wrapped beside its keys: the whole sentence must be readable. */}
      {rows.map((r) => (
        <Box key={r.keys}>
          <Box width={w + 1} flexShrink={0}>
            <Text>{r.keys}</Text>
          </Box>
          <Text wrap={oneLine ? 'truncate-end' : 'wrap'}>{r.help}</Text>
        </Box>
      ))}
      {extra.map((l) => (
        <Text key={l} wrap="wrap">
          {l}
        </Text>
      ))}
    </Box>
  );
}
