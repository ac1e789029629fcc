// Build time (and tests): record the top-level help as commander lays it out, for ./top-help.ts.
import type { Command } from 'commander';
import type { TopHelp, TopHelpSlot } from './top-help.js';

/** The program's help with its width-dependent parts as slots, and its after-text. */
export function topHelpLayout(program: Command): TopHelp {
  const slots: TopHelpSlot[] = [];
  const slot = (s: TopHelpSlot): string => `\u0000${slots.push(s) - 1}\u0000`;
  // The only width-dependent calls of Help.formatHelp: items and the wrapped description.
  program.configureHelp({
    formatItem: (term: string, termWidth: number, description: string) => slot({ item: [term, termWidth, description] }),
    boxWrap: (str: string) => slot({ wrap: str }),
  });
  // outputHelp writes the help in one piece, then each addHelpText('after') in its own.
  const writes: string[] = [];
  program.configureOutput({ writeOut: (s) => writes.push(s), getOutHelpWidth: () => 80, getOutHasColors: () => false });
  program.outputHelp();
  const [text = '', ...after] = writes;
  return { text, slots, after: after.join('') };
}
