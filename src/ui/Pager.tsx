// A pager for long results (the training debrief, a step's report): the lines stay on screen and
// scroll with the keys of PAGER_KEYS, so nothing important scrolls away in the full-screen TUI.
import React from 'react';
import { Box } from 'ink';
import { Text } from './Text.js';

/** Where a pager is: the first line shown. */
export function clampOffset(offset: number, total: number, height: number): number {
  return Math.max(0, Math.min(offset, Math.max(0, total - height)));
}

/** The new offset after a pager action. */
export function scroll(offset: number, action: 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom', total: number, height: number): number {
  const step = action === 'up' ? -1 : action === 'down' ? 1 : action === 'page-up' ? -Math.max(1, height - 1) : action === 'page-down' ? Math.max(1, height - 1) : action === 'top' ? -total : total;
  return clampOffset(offset + step, total, height);
}

/** The visible window of the lines, with a position line when they do not all fit. */
export function Pager({ title, lines, height, offset }: { title: string; lines: string[]; height: number; offset: number }): React.JSX.Element {
  const h = Math.max(1, height);
  const at = clampOffset(offset, lines.length, h);
  const shown = lines.slice(at, at + h);
  const fits = lines.length <= h;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {title}
        {fits ? '' : ` — lines ${at + 1}-${at + shown.length} of ${lines.length}`}
      </Text>
      {shown.map((l, i) => (
        <Text key={`${at + i}`} wrap="truncate-end">
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}
