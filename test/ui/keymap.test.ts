// The keymap tables drive both the input handlers and the hints: every hint names a bound key,
// every action a screen handles is reachable, and chunks of keys are split the way screens expect.
import { describe, expect, it } from 'vitest';
import * as keymap from '../../src/ui/keymap.js';
import { CHECKLIST_KEYS, CONFIRM_KEYS, DONE_KEYS, HOME_KEYS, MONITOR_KEYS, WALK_KEYS, actionFor, hintLine, keyName, keyNames, type KeyBinding } from '../../src/ui/keymap.js';

const tables: [string, KeyBinding[]][] = [
  ['home', HOME_KEYS],
  ['checklist', CHECKLIST_KEYS],
  ['walk', WALK_KEYS],
  ['confirm', CONFIRM_KEYS],
  ['monitor', MONITOR_KEYS],
  ['done', DONE_KEYS],
];

describe('keymap tables', () => {
  it.each(tables)('%s: no key is bound twice, and each hint is one of its own keys (or the arrows)', (_n, table) => {
    const keys = table.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
    for (const b of table.filter((x) => x.hint)) {
      const shown = b.hint === '↑↓' ? ['up', 'down'] : [b.hint === 'enter' ? 'return' : b.hint];
      expect(shown.some((k) => b.keys.includes(k) || table.some((o) => o.keys.includes(k)))).toBe(true);
    }
  });

  it('the monitor hint line offers r for rollback, q to quit and ? for help, each bound to that action', () => {
    const hints = hintLine(MONITOR_KEYS);
    expect(hints).toContain('r rollback');
    expect(hints).toContain('q quit');
    expect(actionFor(MONITOR_KEYS, 'r')).toBe('rollback');
    expect(actionFor(MONITOR_KEYS, 'e')).toBe('extend');
    expect(actionFor(MONITOR_KEYS, 'n')).toBe('notify');
    expect(actionFor(MONITOR_KEYS, 'l')).toBe('log');
    expect(actionFor(MONITOR_KEYS, '?')).toBe('help');
    expect(actionFor(MONITOR_KEYS, 'ctrl-c')).toBe('quit');
  });

  it('key names: arrows, enter, space, ctrl-c; a chunk of several keys becomes each key in turn', () => {
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName(' ', {})).toBe('space');
    expect(keyName('c', { ctrl: true })).toBe('ctrl-c');
    expect(keyNames('jj x\r', {})).toEqual(['j', 'j', 'space', 'x', 'return']);
    expect(keyNames('', { return: true })).toEqual(['return']);
    expect(actionFor(CHECKLIST_KEYS, 'space')).toBe('tick');
    expect(actionFor(CHECKLIST_KEYS, 'b')).toBe('fix');
  });
  it('every binding carries its scope (one screen or dialog a table), its keys, help and action; no key twice in one scope; the help box is titled by the scope', () => {
    const tables = Object.entries(keymap).filter(([n, v]) => n.endsWith('_KEYS') && Array.isArray(v)) as [string, KeyBinding[]][];
    expect(tables.length).toBeGreaterThanOrEqual(18);
    const names = new Set<string>();
    for (const [name, table] of tables) {
      const scope = table[0]!.scope;
      expect(['screen', 'dialog']).toContain(scope.kind);
      expect(scope.name, name).not.toBe('');
      for (const b of table) {
        expect(b.scope, `${name}: ${b.action}`).toEqual(scope);
        expect(b.keys.length).toBeGreaterThan(0);
        expect(b.action).not.toBe('');
      }
      const keys = table.flatMap((b) => b.keys);
      expect(new Set(keys).size, name).toBe(keys.length);
      names.add(`${scope.kind}:${scope.name}`);
    }
    // One table a scope: no two tables claim the same screen or dialog.
    expect(names.size).toBe(tables.length);
    expect(keymap.helpTitle(keymap.MONITOR_LOG_KEYS)).toBe('Keys — monitor log pane');
    expect(keymap.keyName('', { backspace: true })).toBe('backspace');
  });
});

describe('screens read their keys and hints from the keymap', () => {
  it('no screen matches a key inline or spells a key hint itself; every useInput goes through use-keys.ts', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../src/ui/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.tsx'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      const code = src.split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l)).join('\n');
      expect(code, f).not.toMatch(/key\.(return|escape|upArrow|downArrow|backspace|delete|ctrl|tab)\b|input === '/);
      expect(code, f).not.toMatch(/\b(esc|enter) (back|to |alone)|any (other )?key|press [a-z]\b|\by write\b|n cancel/);
      expect(code, f).not.toMatch(/from 'ink'[^;]*useInput|useInput\(/);
    }
  });

  it('any other key, sentences naming a key, and whole hints come from the tables', () => {
    expect(keymap.actionFor(keymap.MONITOR_QUIT_KEYS, 'x')).toBe('stay');
    expect(keymap.actionFor(keymap.MONITOR_QUIT_KEYS, 'y')).toBe('yes');
    expect(keymap.actionFor(keymap.MONITOR_KEYS, 'x')).toBeUndefined();
    expect(keymap.keyFor(keymap.CHECKLIST_KEYS, 'tick')).toBe('space');
    expect(keymap.keyFor(keymap.NAME_KEYS, 'submit')).toBe('enter');
    expect(keymap.keyFor(keymap.HELP_KEYS, 'close')).toBe('any key');
    expect(keymap.hintFor(keymap.ERROR_KEYS, 'back')).toBe('enter back to the home screen');
    expect(keymap.hintLine(keymap.MONITOR_QUIT_KEYS)).toBe('y quit  any other key stay');
    expect(keymap.isText('bob', {})).toBe(true);
    expect(keymap.isText('', { upArrow: true })).toBe(false);
    expect(keymap.isText('c', { ctrl: true })).toBe(false);
  });
});
