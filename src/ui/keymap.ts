// Keybindings as data: the input handler and the on-screen hints both read this table, so a
// hint can never promise a key that does nothing (the bubbletea / lazygit habit).

/** Where a binding is in force: a screen, or a dialog that holds the focus over one. */
export interface KeyScope {
  kind: 'screen' | 'dialog';
  name: string;
}

/** One binding: where it is in force, the keys, the hint shown, the help line and the action it dispatches. */
export interface KeyBinding<A extends string = string> {
  scope: KeyScope;
  keys: string[];
  hint: string;
  help: string;
  action: A;
}

/** A table of bindings, each carrying its scope. */
function scoped<A extends string>(scope: KeyScope, rows: Omit<KeyBinding<A>, 'scope'>[]): KeyBinding<A>[] {
  return rows.map((r) => ({ scope, ...r }));
}

export type HomeAction = 'up' | 'down' | 'next-field' | 'prev-field' | 'start' | 'edit-operator' | 'tune' | 'help' | 'quit';

/** The home screen's keys. */
export const HOME_KEYS: KeyBinding<HomeAction>[] = scoped({ kind: 'screen', name: 'home' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'move within the selected field', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'move down within the selected field', action: 'down' },
  { keys: ['tab', 'right', 'l'], hint: 'tab', help: 'next field (runbook, environment, mode)', action: 'next-field' },
  { keys: ['shift-tab', 'left', 'h'], hint: '', help: 'previous field', action: 'prev-field' },
  { keys: ['return'], hint: 'enter', help: 'start the walk with these choices', action: 'start' },
  { keys: ['o'], hint: 'o', help: 'name: set the operator name (remembered)', action: 'edit-operator' },
  { keys: ['t'], hint: 't', help: 'tune: thresholds proposed from the recorded windows of the chosen environment (read-only until you confirm)', action: 'tune' },
  { keys: ['?'], hint: '?', help: 'help: keys, and how to roll back (npx rollout rollback --env E)', action: 'help' },
  { keys: ['q', 'escape'], hint: 'q', help: 'quit', action: 'quit' },
]);

export type TuneAction = 'up' | 'down' | 'write' | 'back';

/** The tune view's keys: it changes nothing until the operator confirms writing. */
export const TUNE_KEYS: KeyBinding<TuneAction>[] = scoped({ kind: 'screen', name: 'tune' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'select a gate (its rationale shows below)', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: '', action: 'down' },
  { keys: ['w'], hint: 'w', help: 'write the proposal to quality-gates-config.json (asks first)', action: 'write' },
  { keys: ['q', 'escape'], hint: 'esc', help: 'back to the home screen, nothing written', action: 'back' },
]);

export type ChecklistAction = 'up' | 'down' | 'tick' | 'fix' | 'recheck' | 'continue' | 'help' | 'abort';

/** The artifacts checklist's keys. */
export const CHECKLIST_KEYS: KeyBinding<ChecklistAction>[] = scoped({ kind: 'screen', name: 'checklist' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'move up between items', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'move down between items', action: 'down' },
  { keys: ['space', 'x'], hint: 'space', help: 'tick (or untick) a manual item you have checked', action: 'tick' },
  { keys: ['b'], hint: 'b', help: 'backup: create the missing backup now (through the backup engine)', action: 'fix' },
  { keys: ['r'], hint: 'r', help: 'recheck the automatic items', action: 'recheck' },
  { keys: ['return'], hint: 'enter', help: 'continue once nothing required is missing', action: 'continue' },
  { keys: ['?'], hint: '?', help: 'help', action: 'help' },
  { keys: ['q', 'escape', 'ctrl-c'], hint: 'q', help: 'quit: stop the walk here (nothing has changed yet)', action: 'abort' },
]);

export type WalkAction = 'log' | 'help' | 'stop';

/** Keys while a step runs. */
export const WALK_KEYS: KeyBinding<WalkAction>[] = scoped({ kind: 'screen', name: 'running step' }, [
  { keys: ['l'], hint: 'l', help: 'log: show more of the command output', action: 'log' },
  { keys: ['?'], hint: '?', help: 'help', action: 'help' },
  { keys: ['q', 'ctrl-c'], hint: 'q', help: 'stop after the current step (it finishes or reverts safely; resume later)', action: 'stop' },
]);

export type ConfirmAction = 'yes' | 'no';

/** Keys of a yes/no confirmation (outside production; production types the environment's name). */
export const CONFIRM_KEYS: KeyBinding<ConfirmAction>[] = scoped({ kind: 'dialog', name: 'confirmation' }, [
  { keys: ['y'], hint: 'y', help: 'yes, go ahead', action: 'yes' },
  { keys: ['n', 'escape', 'q', 'ctrl-c'], hint: 'n', help: 'no, change nothing', action: 'no' },
]);

export type TypedAction = 'confirm' | 'cancel' | 'delete';

/** The typed confirmation (src/ui/TypedConfirm.tsx): letters are the typed name. */
export const TYPED_CONFIRM_KEYS: KeyBinding<TypedAction>[] = scoped({ kind: 'dialog', name: 'typed confirmation' }, [
  { keys: ['return'], hint: 'enter', help: 'confirm, once the environment name is typed exactly', action: 'confirm' },
  { keys: ['backspace'], hint: '', help: 'delete the last letter', action: 'delete' },
  { keys: ['escape', 'ctrl-c'], hint: 'esc', help: 'cancel, change nothing', action: 'cancel' },
]);

export type PickAction = 'yes' | 'no' | 'up' | 'down';

/** Keys of the rollback confirmation outside production: choose a backup, then y. */
export const ROLLBACK_CONFIRM_KEYS: KeyBinding<PickAction>[] = scoped({ kind: 'dialog', name: 'rollback confirmation' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'choose another verified backup from the list', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'next backup in the list', action: 'down' },
  { keys: ['y'], hint: 'y', help: 'yes, roll back to the chosen backup', action: 'yes' },
  { keys: ['n', 'escape', 'q', 'ctrl-c'], hint: 'n', help: 'no, change nothing', action: 'no' },
]);

/** Production: letters are the typed name, so only arrows choose; enter confirms the typed name. */
export const PRODUCTION_CONFIRM_KEYS: KeyBinding<PickAction>[] = scoped({ kind: 'dialog', name: 'rollback confirmation (production)' }, [
  { keys: ['up'], hint: '↑↓', help: 'choose another verified backup from the list', action: 'up' },
  { keys: ['down'], hint: '', help: 'next backup in the list', action: 'down' },
  { keys: ['return'], hint: 'enter', help: 'confirm, once the environment name is typed exactly', action: 'yes' },
  { keys: ['escape', 'ctrl-c'], hint: 'esc', help: 'cancel, change nothing', action: 'no' },
]);

export type MonitorAction = 'up' | 'down' | 'rollback' | 'extend' | 'notify' | 'log' | 'help' | 'quit';

/** The monitor screen's keys. */
export const MONITOR_KEYS: KeyBinding<MonitorAction>[] = scoped({ kind: 'screen', name: 'monitor' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'select the gate above for the large chart', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'select the gate below for the large chart', action: 'down' },
  { keys: ['r'], hint: 'r', help: 'rollback: choose a verified backup (newest first) and restore it; asks first', action: 'rollback' },
  { keys: ['e'], hint: 'e', help: 'extend the window by 15 minutes', action: 'extend' },
  { keys: ['n'], hint: 'n', help: 'notify: send a test notification on every channel', action: 'notify' },
  { keys: ['l'], hint: 'l', help: 'log: every event of the window in a scrollable pane', action: 'log' },
  { keys: ['?'], hint: '?', help: 'help', action: 'help' },
  { keys: ['q', 'escape', 'ctrl-c'], hint: 'q', help: 'quit (asks first while the window runs)', action: 'quit' },
]);

export type MonitorQuitAction = 'yes' | 'stay';

/** The monitor's quit dialog: y (or Ctrl-C) quits; any other key stays, as the dialog says. */
export const MONITOR_QUIT_KEYS: KeyBinding<MonitorQuitAction>[] = scoped({ kind: 'dialog', name: 'monitor quit' }, [
  { keys: ['y'], hint: 'y', help: 'quit: stop watching (resume later)', action: 'yes' },
  { keys: ['n', 'escape', 'q'], hint: 'n', help: 'stay (so does any other key)', action: 'stay' },
]);

/** While the monitor's rollback runs or after the window is over: no r, e or n to offer. */
export const MONITOR_AFTER_KEYS: KeyBinding<MonitorAction>[] = scoped({ kind: 'screen', name: 'monitor (rollback running or window over)' }, [
  { keys: ['l'], hint: 'l', help: 'log: every event of the window in a scrollable pane', action: 'log' },
  { keys: ['?'], hint: '?', help: 'help', action: 'help' },
  { keys: ['q', 'escape', 'ctrl-c'], hint: 'q', help: 'quit', action: 'quit' },
]);

export type MonitorLogAction = PagerAction | 'log' | 'help' | 'quit';

/** The monitor's log pane: every event of the window, scrolled like a pager; l goes back to the chart. */
export const MONITOR_LOG_KEYS: KeyBinding<MonitorLogAction>[] = scoped({ kind: 'screen', name: 'monitor log pane' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'scroll the log up a line', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'scroll the log down a line', action: 'down' },
  { keys: ['pageup', 'b'], hint: '', help: 'scroll up a page', action: 'page-up' },
  { keys: ['pagedown', 'space'], hint: 'space', help: 'page: scroll down a page', action: 'page-down' },
  { keys: ['g'], hint: '', help: 'go to the first event', action: 'top' },
  { keys: ['G'], hint: 'G', help: 'end: follow the newest events', action: 'bottom' },
  { keys: ['l'], hint: 'l', help: 'back: the log pane off, the chart again', action: 'log' },
  { keys: ['?'], hint: '?', help: 'help', action: 'help' },
  { keys: ['q', 'escape', 'ctrl-c'], hint: 'q', help: 'quit (asks first while the window runs)', action: 'quit' },
]);

export type ReleaseAction = 'up' | 'down' | 'pick' | 'back';

/** The release choice. */
export const RELEASE_KEYS: KeyBinding<ReleaseAction>[] = scoped({ kind: 'screen', name: 'release choice' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'choose the release above', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'choose the release below', action: 'down' },
  { keys: ['return'], hint: 'enter', help: 'walk the runbook with this release', action: 'pick' },
  { keys: ['escape', 'q'], hint: 'esc', help: 'back to the home screen', action: 'back' },
]);

export type OfferAction = 'accept' | 'decline' | 'quit';

/** The demo set-up offer outside production (production types the environment's name). */
export const DEMO_KEYS: KeyBinding<OfferAction>[] = scoped({ kind: 'dialog', name: 'demo set-up offer' }, [
  { keys: ['y', 'return'], hint: 'y', help: 'yes: set it up', action: 'accept' },
  { keys: ['s', 'n'], hint: 's', help: 'skip: choose a release without it', action: 'decline' },
  { keys: ['q', 'escape'], hint: 'q', help: 'quit', action: 'quit' },
]);

/** The offer to resume an interrupted walk. */
export const RESUME_KEYS: KeyBinding<OfferAction>[] = scoped({ kind: 'dialog', name: 'resume offer' }, [
  { keys: ['r', 'return'], hint: 'r', help: 'resume it (same journal)', action: 'accept' },
  { keys: ['n'], hint: 'n', help: 'new: start a new walk', action: 'decline' },
  { keys: ['q', 'escape'], hint: 'q', help: 'quit', action: 'quit' },
]);

export type SignOffAction = 'confirm' | 'cancel';

/** The sign-off prompt: letters are the typed name. */
export const SIGNOFF_KEYS: KeyBinding<SignOffAction>[] = scoped({ kind: 'dialog', name: 'sign-off' }, [
  { keys: ['return'], hint: 'enter', help: 'sign-off with the typed name', action: 'confirm' },
  { keys: ['escape'], hint: 'esc', help: 'stop: the walk stops here', action: 'cancel' },
]);

export type PagerAction = 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom';

/** Scrolling a long result (the debrief, a report) once a walk is over. */
export const PAGER_KEYS: KeyBinding<PagerAction>[] = scoped({ kind: 'screen', name: 'result pager' }, [
  { keys: ['up', 'k'], hint: '↑↓', help: 'scroll the result up a line', action: 'up' },
  { keys: ['down', 'j'], hint: '', help: 'scroll the result down a line', action: 'down' },
  { keys: ['pageup', 'b'], hint: '', help: 'scroll up a page', action: 'page-up' },
  { keys: ['pagedown', 'space'], hint: 'space', help: 'page: scroll down a page', action: 'page-down' },
  { keys: ['g'], hint: '', help: 'go to the top', action: 'top' },
  { keys: ['G'], hint: '', help: 'go to the end', action: 'bottom' },
]);

export type DoneAction = 'quit' | 'help';

/** Keys once a walk or a rollback is over. */
export const DONE_KEYS: KeyBinding<DoneAction>[] = scoped({ kind: 'screen', name: 'walk or rollback over' }, [
  { keys: ['q', 'return', 'escape', 'ctrl-c'], hint: 'q', help: 'quit', action: 'quit' },
  { keys: ['?'], hint: '?', help: 'help', action: 'help' },
]);

/** The key name Ink reports for an input event, in the table's vocabulary. */
export function keyName(input: string, key: { backspace?: boolean; delete?: boolean; upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean; pageUp?: boolean; pageDown?: boolean; return?: boolean; escape?: boolean; tab?: boolean; shift?: boolean; ctrl?: boolean }): string {
  if (key.backspace || key.delete) return 'backspace';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.ctrl && input) return `ctrl-${input}`;
  if (input === ' ') return 'space';
  return input;
}

type InkKey = Parameters<typeof keyName>[1];

/**
 * Every key name in one input event. A fast typist, a paste or tmux send-keys can deliver several
 * keys in one chunk ("jj " or "y\r"); each is handled in turn.
 */
export function keyNames(input: string, key: InkKey): string[] {
  const special = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.escape || key.tab || key.ctrl;
  if (special || input.length <= 1) return [keyName(input, key)];
  return [...input].map((ch) => (ch === '\r' || ch === '\n' ? 'return' : ch === ' ' ? 'space' : ch));
}

/** The action bound to a key, if any. */
export function actionFor<A extends string>(table: KeyBinding<A>[], name: string): A | undefined {
  return table.find((b) => b.keys.includes(name))?.action;
}

/** The hint line drawn from the table. */
export function hintLine(table: KeyBinding[]): string {
  return table.filter((b) => b.hint).map((b) => `${b.hint} ${b.help.split(/[ (,:]/)[0]}`).join('  ');
}

/** The help box's title: the screen or dialog the keys belong to. */
export function helpTitle(table: KeyBinding[]): string {
  const s = table[0]?.scope;
  return s ? `Keys — ${s.name}` : 'Keys';
}

/** The help lines drawn from the table: every bound key with what it does. */
export function helpLines(table: KeyBinding[]): string[] {
  return table.filter((b) => b.help).map((b) => `${b.keys.join('/').padEnd(15)} ${b.help}`);
}
