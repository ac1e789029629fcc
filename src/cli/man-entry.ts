// Build-time entry (scripts/build.mjs): renders the man page, and records the top-level help for
// the entry's fast path (top-help.ts), from the CLI's command tree.
import { manPage } from './help-text.js';
import { buildProgram } from './main.js';
import { topHelpLayout } from './top-help-layout.js';
import type { TopHelp } from './top-help.js';
import { VERSION } from './version.js';

/** `rollout --help` as commander lays it out, with its width-dependent parts as slots. */
export function renderTopHelpLayout(): TopHelp {
  return topHelpLayout(buildProgram());
}

/** The roff text of rollout.1, dated `date`. */
export function renderManPage(date: Date): string {
  return manPage(buildProgram(), VERSION, date);
}
