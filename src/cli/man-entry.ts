// Build-time entry (scripts/build.mjs): renders the man page from the CLI's command tree.
import { manPage } from './help-text.js';
import { buildProgram } from './main.js';
import { VERSION } from './version.js';

/** The roff text of rollout.1, dated `date`. */
export function renderManPage(date: Date): string {
  return manPage(buildProgram(), VERSION, date);
}
