// Keybindings as data: every screen's and dialog's input handler (useKeymap in use-keys.ts), its
// hint line and its help box read these tables, so a hint can never promise a key that does
// nothing (the bubbletea / lazygit habit). Sentences that name a key ("space to tick") take it from
// here too (keyFor), so no screen spells a key itself.

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

type Row<A extends string> = Omit<KeyBinding<A>, 'scope'>;

/** The key that stands for "any key not bound otherwise" in a table. */
export const ANY_KEY = '*';

/** A binding row: its action, its keys (space-separated), the hint shown ('' for none) and the help. */
function bind<A extends string>(action: A, keys: string, hint: string, help: string): Row<A> {
  return { action, keys: keys.split(' '), hint, help };
}

/** A table: the rows, each carrying the scope where they are in force. */
function table<A extends string>(kind: KeyScope['kind'], name: string, rows: Row<A>[]): KeyBinding<A>[] {
  return rows.map((r) => ({ scope: { kind, name }, ...r }));
}

/** Up and down (with j/k unless letters are typed text there): one hint for both. */
function arrows(up: string, down: string, vi = true): Row<'up' | 'down'>[] {
  return [bind('up', vi ? 'up k' : 'up', '↑↓', up), bind('down', vi ? 'down j' : 'down', '', down)];
}

const HELP = bind('help', '?', '?', 'help');

export type TextAction = 'submit' | 'cancel' | 'delete';

/** Typed text (a name): letters are the text; enter submits, backspace deletes, `cancelKeys` cancel. */
function textEntry(submit: string, cancelKeys: string, cancel: string): Row<TextAction>[] {
  return [bind('submit', 'return', 'enter', submit), bind('delete', 'backspace', '', 'delete the last letter'), bind('cancel', cancelKeys, 'esc', cancel)];
}

export type PagerAction = 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom';

/** Scrolling `what` like a pager; `follow` names G the key that follows the newest lines. */
function pager(what: string, first: string, follow?: string): Row<PagerAction>[] {
  return [
    ...arrows(`scroll ${what} up a line`, `scroll ${what} down a line`),
    bind('page-up', 'pageup b', '', 'scroll up a page'),
    bind('page-down', 'pagedown space', 'space', 'page: scroll down a page'),
    bind('top', 'g', '', `go to ${first}`),
    bind('bottom', 'G', follow ? 'G' : '', follow ?? 'go to the end'),
  ];
}

export type HomeAction = 'up' | 'down' | 'next-field' | 'prev-field' | 'start' | 'edit-operator' | 'tune' | 'help' | 'quit';

/** The home screen's keys. */
export const HOME_KEYS = table<HomeAction>('screen', 'home', [
  ...arrows('move within the selected field', 'move down within the selected field'),
  bind('next-field', 'tab right l', 'tab', 'next field (runbook, environment, mode)'),
  bind('prev-field', 'shift-tab left h', '', 'previous field'),
  bind('start', 'return', 'enter', 'start the walk with these choices'),
  bind('edit-operator', 'o', 'o', 'name: set the operator name (remembered)'),
  bind('tune', 't', 't', 'tune: thresholds proposed from the recorded windows of the chosen environment (read-only until you confirm)'),
  { ...HELP, help: 'help: keys, and how to roll back (npx rollout rollback --env E)' },
  bind('quit', 'q escape', 'q', 'quit'),
]);

/** Typing the operator's name on the home screen: letters are the name. */
export const NAME_KEYS = table('dialog', 'operator name', textEntry('keep it', 'escape', 'cancel: keep the name as it was'));

/** Outside a walk, wherever no dialog has the focus. */
export const APP_KEYS = table<'quit'>('screen', 'outside a walk', [bind('quit', 'ctrl-c', '', 'quit')]);

/** A screen that says what went wrong. */
export const ERROR_KEYS = table<'back'>('screen', 'error', [bind('back', 'return escape q', 'enter', 'back to the home screen')]);

export type TuneAction = 'up' | 'down' | 'write' | 'back';

/** The tune view's keys: it changes nothing until the operator confirms writing. */
export const TUNE_KEYS = table<TuneAction>('screen', 'tune', [
  ...arrows('select a gate (its rationale shows below)', ''),
  bind('write', 'w', 'w', 'write the proposal to quality-gates-config.json (asks first)'),
  bind('back', 'q escape', 'esc', 'back to the home screen, nothing written'),
]);

/** The tune view once it has written, or could not load. */
export const TUNE_DONE_KEYS = table<'back'>('screen', 'tune over', [bind('back', 'return escape q', 'esc', 'back to the home screen')]);

export type ConfirmAction = 'yes' | 'no';

/** Tune's question before writing (outside production; production types the environment's name). */
export const TUNE_WRITE_KEYS = table<ConfirmAction>('dialog', 'write confirmation', [
  bind('yes', 'y', 'y', 'write the proposal'),
  bind('no', 'n q escape ctrl-c', 'n', 'cancel, nothing written'),
]);

export type ChecklistAction = 'up' | 'down' | 'tick' | 'fix' | 'recheck' | 'continue' | 'help' | 'abort';

/** The artifacts checklist's keys. */
export const CHECKLIST_KEYS = table<ChecklistAction>('screen', 'checklist', [
  ...arrows('move up between items', 'move down between items'),
  bind('tick', 'space x', 'space', 'tick (or untick) a manual item you have checked'),
  bind('fix', 'b', 'b', 'backup: create the missing backup now (through the backup engine)'),
  bind('recheck', 'r', 'r', 'recheck the automatic items'),
  bind('continue', 'return', 'enter', 'continue once nothing required is missing'),
  HELP,
  bind('abort', 'q escape ctrl-c', 'q', 'quit: stop the walk here (nothing has changed yet)'),
]);

export type WalkAction = 'log' | 'help' | 'stop';

/** Keys while a step runs. */
export const WALK_KEYS = table<WalkAction>('screen', 'running step', [
  bind('log', 'l', 'l', 'log: show more of the command output'),
  HELP,
  bind('stop', 'q ctrl-c', 'q', 'stop after the current step (it finishes or reverts safely; resume later)'),
]);

/** Keys of a yes/no confirmation (outside production; production types the environment's name). */
export const CONFIRM_KEYS = table<ConfirmAction>('dialog', 'confirmation', [
  bind('yes', 'y', 'y', 'yes, go ahead'),
  bind('no', 'n escape q ctrl-c', 'n', 'no, change nothing'),
]);

/** The typed confirmation (src/ui/TypedConfirm.tsx): letters are the typed name. */
export const TYPED_CONFIRM_KEYS = table('dialog', 'typed confirmation', textEntry('confirm, once the environment name is typed exactly', 'escape ctrl-c', 'cancel, change nothing'));

export type PickAction = 'yes' | 'no' | 'up' | 'down';

/** Keys of the rollback confirmation outside production: choose a backup, then y. */
export const ROLLBACK_CONFIRM_KEYS = table<PickAction>('dialog', 'rollback confirmation', [
  ...arrows('choose another verified backup from the list', 'next backup in the list'),
  bind('yes', 'y', 'y', 'yes, roll back to the chosen backup'),
  bind('no', 'n escape q ctrl-c', 'n', 'no, change nothing'),
]);

/** Production: letters are the typed name, so only arrows choose (the typed confirmation has enter and esc). */
export const PRODUCTION_CONFIRM_KEYS = table<PickAction>('dialog', 'rollback confirmation (production)', [
  ...arrows('choose another verified backup from the list', 'next backup in the list', false),
  bind('yes', 'return', 'enter', 'confirm, once the environment name is typed exactly'),
  bind('no', 'escape ctrl-c', 'esc', 'cancel, change nothing'),
]);

/** The rollback confirmation while it loads or when no backup verifies: only leaving. */
export const NO_BACKUP_KEYS = table<'no'>('dialog', 'rollback confirmation (nothing to restore)', [bind('no', 'escape return n q ctrl-c', 'esc', 'back (nothing was changed)')]);

export type MonitorAction = 'up' | 'down' | 'rollback' | 'extend' | 'notify' | 'log' | 'help' | 'quit';

const MONITOR_LOG = bind('log', 'l', 'l', 'log: every event of the window in a scrollable pane');
const MONITOR_QUIT = bind('quit', 'q escape ctrl-c', 'q', 'quit (asks first while the window runs)');

/** The monitor screen's keys. */
export const MONITOR_KEYS = table<MonitorAction>('screen', 'monitor', [
  ...arrows('select the gate above for the large chart', 'select the gate below for the large chart'),
  bind('rollback', 'r', 'r', 'rollback: choose a verified backup (newest first) and restore it; asks first'),
  bind('extend', 'e', 'e', 'extend the window by 15 minutes'),
  bind('notify', 'n', 'n', 'notify: send a test notification on every channel'),
  MONITOR_LOG,
  HELP,
  MONITOR_QUIT,
]);

/** While the monitor's rollback runs or after the window is over: no r, e or n to offer. */
export const MONITOR_AFTER_KEYS = table<MonitorAction>('screen', 'monitor (rollback running or window over)', [MONITOR_LOG, HELP, { ...MONITOR_QUIT, help: 'quit' }]);

export type MonitorLogAction = PagerAction | 'log' | 'help' | 'quit';

/** The monitor's log pane: every event of the window, scrolled like a pager; l goes back to the chart. */
export const MONITOR_LOG_KEYS = table<MonitorLogAction>('screen', 'monitor log pane', [
  ...pager('the log', 'the first event', 'end: follow the newest events'),
  bind('log', 'l', 'l', 'back: the log pane off, the chart again'),
  HELP,
  MONITOR_QUIT,
]);

export type MonitorQuitAction = 'yes' | 'stay';

/** The monitor's quit dialog: y quits; any other key (a second Ctrl-C included) stays, as the dialog says. */
export const MONITOR_QUIT_KEYS = table<MonitorQuitAction>('dialog', 'monitor quit', [
  bind('yes', 'y', 'y', 'quit: stop watching (resume later)'),
  bind('stay', ANY_KEY, 'any other key', 'stay'),
]);

/** A help box over a screen: any key closes it. */
export const HELP_KEYS = table<'close'>('dialog', 'help', [bind('close', ANY_KEY, 'any key', 'back')]);

export type ReleaseAction = 'up' | 'down' | 'pick' | 'back';

/** The release choice. */
export const RELEASE_KEYS = table<ReleaseAction>('screen', 'release choice', [
  ...arrows('choose the release above', 'choose the release below'),
  bind('pick', 'return', 'enter', 'walk the runbook with this release'),
  bind('back', 'escape q', 'esc', 'back to the home screen'),
]);

export type OfferAction = 'accept' | 'decline' | 'quit';

/** The demo set-up offer outside production (production types the environment's name). */
export const DEMO_KEYS = table<OfferAction>('dialog', 'demo set-up offer', [
  bind('accept', 'y return', 'y', 'yes: set it up'),
  bind('decline', 's n', 's', 'skip: choose a release without it'),
  bind('quit', 'q escape', 'q', 'quit'),
]);

/** The offer to resume an interrupted walk. */
export const RESUME_KEYS = table<OfferAction>('dialog', 'resume offer', [
  bind('accept', 'r return', 'r', 'resume it (same journal)'),
  bind('decline', 'n', 'n', 'new: start a new walk'),
  bind('quit', 'q escape', 'q', 'quit'),
]);

/** The sign-off prompt: letters are the typed name. */
export const SIGNOFF_KEYS = table('dialog', 'sign-off', textEntry('sign-off with the typed name', 'escape ctrl-c', 'stop: the walk stops here'));

/** Scrolling a long result (the debrief, a report) once a walk is over. */
export const PAGER_KEYS = table<PagerAction>('screen', 'result pager', pager('the result', 'the top'));

export type DoneAction = 'quit' | 'help';

/** Keys once a walk or a rollback is over. */
export const DONE_KEYS = table<DoneAction>('screen', 'walk or rollback over', [bind('quit', 'q return escape ctrl-c', 'q', 'quit'), HELP]);

/** Once the demo set-up went through: the quit key leads on to the release choice. */
export const SETUP_DONE_KEYS = table<DoneAction>('screen', 'demo set-up over', [bind('quit', 'return q escape ctrl-c', 'enter', 'choose the release to roll out'), HELP]);

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

/** Whether an input event is typed text (letters of a name), not a key with a binding's name. */
export function isText(input: string, key: InkKey & { meta?: boolean }): boolean {
  return Boolean(input) && !(key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.tab || key.escape);
}

/** The action bound to a key, if any (a table's ANY_KEY row takes every key no other row binds). */
export function actionFor<A extends string>(table: KeyBinding<A>[], name: string): A | undefined {
  return (table.find((b) => b.keys.includes(name)) ?? table.find((b) => b.keys.includes(ANY_KEY)))?.action;
}

const LABELS: Record<string, string> = { return: 'enter', escape: 'esc', [ANY_KEY]: 'any key' };

/** How a sentence names the key of an action: its hint, else its first key ("enter", "esc", "space"). */
export function keyFor<A extends string>(table: KeyBinding<A>[], action: A): string {
  const b = table.find((x) => x.action === action);
  if (!b) throw new Error(`no key for ${action} in ${table[0]?.scope.name ?? 'an empty table'}`);
  const k = b.keys[0]!;
  return b.hint || LABELS[k] || k;
}

/** The hints drawn from the table: each hinted key with the first word of its help ("q quit"). */
export function hintItems(table: KeyBinding[]): string[] {
  return table.filter((b) => b.hint).map((b) => `${b.hint} ${b.help.split(/[ (,:]/)[0]}`);
}

/** The hint line drawn from the table: the hints two spaces apart. */
export function hintLine(table: KeyBinding[]): string {
  return hintItems(table).join('  ');
}

/** One binding as a sentence: its key and its whole help ("enter back to the home screen"). */
export function hintFor<A extends string>(table: KeyBinding<A>[], action: A): string {
  return `${keyFor(table, action)} ${table.find((b) => b.action === action)!.help}`;
}

/** The help box's title: the screen or dialog the keys belong to. */
export function helpTitle(table: KeyBinding[]): string {
  const s = table[0]?.scope;
  return s ? `Keys — ${s.name}` : 'Keys';
}

/** The help rows drawn from the table: every bound key with what it does. */
export function helpRows(table: KeyBinding[]): { keys: string; help: string }[] {
  return table.filter((b) => b.help).map((b) => ({ keys: b.keys.join('/'), help: b.help }));
}

/** The help lines as text: the keys column as wide as its longest entry. */
export function helpLines(table: KeyBinding[]): string[] {
  const rows = helpRows(table);
  const w = Math.max(15, ...rows.map((r) => r.keys.length));
  return rows.map((r) => `${r.keys.padEnd(w)} ${r.help}`);
}
