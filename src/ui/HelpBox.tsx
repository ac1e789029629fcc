// The help box every screen shows on ?: the keys in force there, from the keymap, titled by the
// screen or dialog they belong to, and whatever the screen adds (how to roll back).
import React from 'react';
import { Box, Text } from 'ink';
import { helpLines, helpTitle, type KeyBinding } from './keymap.js';

/** The keys of `keys` with what each does, then the screen's own lines. */
export function HelpBox({ keys, extra = [] }: { keys: KeyBinding[]; extra?: string[] }): React.JSX.Element {
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>{helpTitle(keys)}</Text>
      {helpLines(keys).map((l) => (
        <Text key={l} wrap="truncate-end">
          {l}
        </Text>
      ))}
      {extra.map((l) => (
        <Text key={l} wrap="wrap">
          {l}
        </Text>
      ))}
    </Box>
  );
}
