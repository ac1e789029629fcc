// A loaded runbook as the home screen offers it (no parsing here: see runbook-choices.ts).
import { basename } from 'node:path';
import type { LoadedRunbook } from '../config/runbook.js';
import type { RunbookChoice } from './home-state.js';

/** A runbook as the home screen offers it. */
export function runbookChoice(rb: LoadedRunbook, file: string): RunbookChoice {
  const envs = Object.keys(rb.environments);
  return { name: rb.name, title: rb.title, file: basename(file), environments: envs, production: envs.filter((e) => e === 'production' || rb.environments[e]?.production === true) };
}
