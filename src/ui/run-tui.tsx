// Starts the Ink TUI: loads the workspace's runbooks, remembers the operator and last choices
// with conf, and renders the home screen.
import React from 'react';
import { render } from 'ink';
import { basename, join } from 'node:path';
import { Home } from './Home.js';
import type { HomeState, RunbookChoice } from './home-state.js';
import { selection } from './home-state.js';
import { listRunbooks, loadRunbook } from '../config/runbook.js';
import type { CommandContext } from '../cli/context.js';
import { loadPrefs, savePrefs } from './prefs.js';

/** Load the runbooks offered on the home screen (invalid ones are errors, as everywhere). */
export function runbookChoices(runbooksDir: string): RunbookChoice[] {
  return listRunbooks(runbooksDir).map((f) => {
    const rb = loadRunbook(join(runbooksDir, f), `runbooks/${f}`);
    const envs = Object.keys(rb.environments);
    return { name: rb.name, title: rb.title, file: basename(f), environments: envs, production: envs.filter((e) => e === 'production' || rb.environments[e]?.production === true) };
  });
}

/** Run the TUI until the operator quits; returns the exit code. */
export async function runTui(ctx: CommandContext): Promise<number> {
  const ws = ctx.workspace;
  const runbooks = runbookChoices(ws.runbooksDir);
  const prefs = loadPrefs();
  let final: HomeState | undefined;
  const app = render(<Home runbooks={runbooks} remembered={prefs} workspace={ws.root} onDone={(s) => (final = s)} />, { exitOnCtrlC: true });
  await app.waitUntilExit();
  if (!final) return 0;
  const sel = selection(final);
  savePrefs({ operator: final.operator, runbook: sel.runbook?.name, env: sel.env, mode: sel.mode });
  if (final.done === 'start' && sel.runbook && sel.env) {
    const dry = sel.mode === 'training' ? ' --dry-run' : '';
    process.stdout.write(`The guided walk is not in this version yet. The same rollout, headless:\n  rollout run ${sel.runbook.name} --env ${sel.env}${dry} --operator "${final.operator}"\n`);
    return 2;
  }
  return 0;
}
