// The hint row under a screen: each hint ("q quit") whole, two columns apart, wrapped between
// hints on a narrow terminal and never inside one.
import React from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';
import { hintItems, type KeyBinding } from './keymap.js';

/** The hints of a key table, never split across rows. */
export function HintLine({ keys }: { keys: KeyBinding[] }): React.JSX.Element {
  return (
    <Box flexWrap="wrap" columnGap={2}>
      {hintItems(keys).map((h) => (
        <Box key={h} flexShrink={0}>
          <Text dimColor>{h}</Text>
        </Box>
      ))}
    </Box>
  );
}
