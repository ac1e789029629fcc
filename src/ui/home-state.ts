// The home screen's state as a pure reducer over a discriminated union of actions, so key flows
// are tested without rendering (the Shopify cli-kit habit).
import type { HomeAction } from './keymap.js';

export interface RunbookChoice {
  name: string;
  title: string;
  file: string;
  environments: string[];
  production: string[];
}

export const MODES = ['live', 'training'] as const;
export type Mode = (typeof MODES)[number];

export interface HomeState {
  runbooks: RunbookChoice[];
  field: 0 | 1 | 2;
  runbook: number;
  env: number;
  mode: number;
  operator: string;
  editing: boolean;
  draft: string;
  help: boolean;
  done: 'start' | 'tune' | 'quit' | undefined;
}

export type HomeEvent = { type: 'key'; action: HomeAction } | { type: 'type'; text: string } | { type: 'backspace' } | { type: 'submit' } | { type: 'cancel' };

/** The first state, with the remembered choices applied where they still exist. */
export function initialHome(runbooks: RunbookChoice[], remembered: { runbook?: string; env?: string; mode?: string; operator?: string }): HomeState {
  const rb = Math.max(0, runbooks.findIndex((r) => r.name === remembered.runbook));
  const envs = runbooks[rb]?.environments ?? [];
  const found = envs.indexOf(remembered.env ?? '');
  // A newcomer starts on staging, never on production by accident.
  const env = found >= 0 ? found : Math.max(0, envs.indexOf('staging'));
  const mode = Math.max(0, MODES.indexOf((remembered.mode ?? 'live') as Mode));
  return { runbooks, field: 0, runbook: rb, env, mode, operator: remembered.operator ?? '', editing: false, draft: '', help: false, done: undefined };
}

function count(s: HomeState): number {
  if (s.field === 0) return s.runbooks.length;
  if (s.field === 1) return s.runbooks[s.runbook]?.environments.length ?? 0;
  return MODES.length;
}

function move(s: HomeState, d: number): HomeState {
  const n = count(s);
  if (n === 0) return s;
  const key = s.field === 0 ? 'runbook' : s.field === 1 ? 'env' : 'mode';
  const next = (s[key] + d + n) % n;
  if (key !== 'runbook') return { ...s, [key]: next };
  // Another runbook keeps the chosen environment when it has it, else staging: never production by accident.
  const current = s.runbooks[s.runbook]?.environments[s.env];
  const envs = s.runbooks[next]?.environments ?? [];
  const keep = current ? envs.indexOf(current) : -1;
  return { ...s, runbook: next, env: keep >= 0 ? keep : Math.max(0, envs.indexOf('staging')) };
}

/** Apply one event. */
export function homeReducer(s: HomeState, e: HomeEvent): HomeState {
  if (s.editing) {
    switch (e.type) {
      case 'type':
        return { ...s, draft: (s.draft + e.text).replace(/[\r\n\t]/g, '').slice(0, 64) };
      case 'backspace':
        return { ...s, draft: s.draft.slice(0, -1) };
      case 'submit':
        return s.draft.trim() ? { ...s, operator: s.draft.trim(), editing: false, draft: '' } : s;
      case 'cancel':
        return { ...s, editing: false, draft: '' };
      default:
        return s;
    }
  }
  if (e.type !== 'key') return s;
  if (s.help && e.action !== 'quit' && e.action !== 'help') return { ...s, help: false };
  switch (e.action) {
    case 'up':
      return move(s, -1);
    case 'down':
      return move(s, 1);
    case 'next-field':
      return { ...s, field: ((s.field + 1) % 3) as HomeState['field'] };
    case 'prev-field':
      return { ...s, field: ((s.field + 2) % 3) as HomeState['field'] };
    case 'edit-operator':
      return { ...s, editing: true, draft: s.operator };
    case 'help':
      return { ...s, help: !s.help };
    case 'quit':
      return s.help ? { ...s, help: false } : { ...s, done: 'quit' };
    case 'tune':
      return s.runbooks.length ? { ...s, done: 'tune' } : s;
    case 'start':
      return s.runbooks.length && s.operator ? { ...s, done: 'start' } : s.operator ? s : { ...s, editing: true };
  }
}

/** The choices the state stands for. */
export function selection(s: HomeState): { runbook: RunbookChoice | undefined; env: string | undefined; mode: Mode } {
  const runbook = s.runbooks[s.runbook];
  return { runbook, env: runbook?.environments[s.env], mode: MODES[s.mode] ?? 'live' };
}
