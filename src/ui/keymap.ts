// Keybindings as data: the input handler and the on-screen hints both read this table, so a
// hint can never promise a key that does nothing (the bubbletea / lazygit habit).

/** One binding: the keys, the hint shown, and the action it names. */
export interface KeyBinding<A extends string = string> {
  keys: string[];
  hint: string;
  help: string;
  action: A;
}

export type HomeAction = 'up' | 'down' | 'next-field' | 'prev-field' | 'start' | 'edit-operator' | 'help' | 'quit';

/** The home screen's keys. */
export const HOME_KEYS: KeyBinding<HomeAction>[] = [
  { keys: ['up', 'k'], hint: '↑↓', help: 'move within the selected field', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: '', action: 'down' },
  { keys: ['tab', 'right', 'l'], hint: 'tab', help: 'next field (runbook, environment, mode)', action: 'next-field' },
  { keys: ['shift-tab', 'left', 'h'], hint: '', help: 'previous field', action: 'prev-field' },
  { keys: ['return'], hint: 'enter', help: 'start the walk with these choices', action: 'start' },
  { keys: ['o'], hint: 'o', help: 'set the operator name (remembered)', action: 'edit-operator' },
  { keys: ['?'], hint: '?', help: 'help: keys, and how to roll back (rollout rollback --env E)', action: 'help' },
  { keys: ['q', 'escape'], hint: 'q', help: 'quit', action: 'quit' },
];

/** The key name Ink reports for an input event, in the table's vocabulary. */
export function keyName(input: string, key: { upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean; return?: boolean; escape?: boolean; tab?: boolean; shift?: boolean; ctrl?: boolean }): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.ctrl && input) return `ctrl-${input}`;
  return input;
}

/** The action bound to a key, if any. */
export function actionFor<A extends string>(table: KeyBinding<A>[], name: string): A | undefined {
  return table.find((b) => b.keys.includes(name))?.action;
}

/** The hint line drawn from the table. */
export function hintLine(table: KeyBinding[]): string {
  return table.filter((b) => b.hint).map((b) => `${b.hint} ${b.help.split(/[ (,:]/)[0]}`).join('  ');
}
