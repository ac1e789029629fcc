// The home screen's runbooks, validated (yaml, zod): what the TUI shows when the config cache
// cannot serve them, and what the UI tests render. Apart from run-tui.tsx so that a start served
// from the cache does not load the parsers.
import { join } from 'node:path';
import { listRunbooks } from '../config/runbook-files.js';
import { loadRunbook } from '../config/runbook.js';
import type { RunbookChoice } from './home-state.js';
import { runbookChoice } from './runbook-choice.js';

/** Load the runbooks offered on the home screen (invalid ones are errors, as everywhere). */
export function runbookChoices(runbooksDir: string): RunbookChoice[] {
  return listRunbooks(runbooksDir).map((f) => runbookChoice(loadRunbook(join(runbooksDir, f), `runbooks/${f}`), f));
}
