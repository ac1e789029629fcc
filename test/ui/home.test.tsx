// Given the home screen, when the operator presses keys, then the choices, banners and hints on
// screen follow; the keymap table drives both the keys and the hints.
import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { Home } from '../../src/ui/Home.js';
import { HOME_KEYS, hintItems, hintLine } from '../../src/ui/keymap.js';
import type { HomeState } from '../../src/ui/home-state.js';
import { waitUntil } from '../helpers/frames.js';
import { KEY, renderAt, settle } from './render-at.js';

const runbooks = [
  { name: 'dhash', title: 'Guarded rollout of dhash', file: 'dhash.yaml', environments: ['production', 'staging', 'development'], production: ['production'] },
  { name: 'emergency-rollback', title: 'Emergency rollback', file: 'emergency-rollback.yaml', environments: ['production', 'staging', 'development'], production: ['production'] },
];
/** Wait until the condition holds (a loaded machine renders late); the timeout names what was awaited. */
async function until(cond: () => boolean, what = 'the screen to follow the keys'): Promise<void> {
  await waitUntil(cond, Boolean, what);
}
// eslint-disable-next-line no-control-regex
const plain = (s: string | undefined): string => (s ?? '').replace(/\u001b\[[0-9;]*m/g, '');

describe('home screen', () => {
  it('starts on staging with the remembered operator, never on production by accident', () => {
    const { lastFrame, unmount } = render(<Home runbooks={runbooks} remembered={{ operator: 'alice' }} workspace="/ws" onDone={() => undefined} />);
    const f = plain(lastFrame());
    expect(f).toContain('Operator: alice');
    expect(f).toContain('(*) staging');
    expect(f).not.toContain('PRODUCTION — changes are real');
    expect(f).toContain(hintLine(HOME_KEYS));
    unmount();
  });

  it('shows production so that no one can miss it, and a TRAINING banner in training mode', async () => {
    const { lastFrame, stdin, unmount } = render(<Home runbooks={runbooks} remembered={{ operator: 'alice' }} workspace="/ws" onDone={() => undefined} />);
    await settle();
    stdin.write('\t'); // to the environment column
    await until(() => plain(lastFrame()).includes('> Environment'), 'the environment column focused');
    stdin.write('k'); // up: production
    await until(() => plain(lastFrame()).includes('!!! PRODUCTION'));
    expect(plain(lastFrame())).toContain('!!! PRODUCTION — changes are real !!!');
    stdin.write('\t'); // to the mode column
    await until(() => plain(lastFrame()).includes('> Mode'), 'the mode column focused');
    stdin.write('j'); // training
    await until(() => plain(lastFrame()).includes('TRAINING'));
    const f = plain(lastFrame());
    expect(f).toContain('TRAINING — dry-run, nothing is changed');
    expect(f).not.toContain('changes are real');
    unmount();
  });

  it('asks a newcomer for a name before starting, and enter starts only once it is given', async () => {
    const onDone = vi.fn<(s: HomeState) => void>();
    const { lastFrame, stdin, unmount } = render(<Home runbooks={runbooks} remembered={{}} workspace="/ws" onDone={onDone} />);
    // The keys work at once (? must show help, not type a name); the name is asked at enter.
    expect(plain(lastFrame())).toContain('Operator: not set yet');
    await settle();
    stdin.write('\r');
    await until(() => plain(lastFrame()).includes('type your name'));
    expect(onDone).not.toHaveBeenCalled();
    stdin.write('\r');
    await settle();
    expect(onDone).not.toHaveBeenCalled();
    stdin.write('bob');
    await until(() => plain(lastFrame()).includes('Operator: bob'), 'the typed name');
    stdin.write('\r');
    await until(() => !plain(lastFrame()).includes('type your name'));
    expect(plain(lastFrame())).toContain('Operator: bob');
    stdin.write('\r');
    await until(() => onDone.mock.calls.length > 0);
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(onDone.mock.calls[0]![0]).toMatchObject({ done: 'start', operator: 'bob' });
    unmount();
  });

  it.each([['alice'], [undefined]])('? shows help that says how to roll back; q quits (operator %s)', async (operator) => {
    const onDone = vi.fn<(s: HomeState) => void>();
    const { lastFrame, stdin, unmount } = render(<Home runbooks={runbooks} remembered={operator ? { operator } : {}} workspace="/ws" onDone={onDone} />);
    await settle();
    stdin.write('?');
    await until(() => plain(lastFrame()).includes('rollout rollback --env ENV'));
    expect(plain(lastFrame())).toContain('rollout rollback --env ENV');
    stdin.write('q'); // closes help first
    await until(() => !plain(lastFrame()).includes('rollout rollback --env ENV'));
    expect(plain(lastFrame())).not.toContain('rollout rollback --env ENV');
    expect(onDone).not.toHaveBeenCalled();
    stdin.write('q');
    await until(() => onDone.mock.calls.length > 0);
    expect(onDone.mock.calls[0]![0]).toMatchObject({ done: 'quit' });
    unmount();
  });

  it('switching the runbook keeps the chosen environment, never jumping to production', async () => {
    const { lastFrame, stdin, unmount } = render(<Home runbooks={runbooks} remembered={{ operator: 'alice' }} workspace="/ws" onDone={() => undefined} />);
    await settle();
    stdin.write('j'); // runbook column: emergency-rollback
    await until(() => plain(lastFrame()).includes('(*) emergency-rollback'));
    const f = plain(lastFrame());
    expect(f).toContain('(*) staging');
    expect(f).not.toContain('changes are real');
    unmount();
  });

  // At 60x24 the wrapped help once pushed the title off the top (Ink scrolls a frame taller than
  // the terminal) and the hint row wrapped inside "q quit". Every size, with and without the help,
  // with the production banner up: the frame fits, the title is its first row, no row is wider
  // than the terminal and every hint is whole on one row.
  it.each([
    [60, 24],
    [80, 24],
    [160, 48],
    [60, 20],
  ])('fits %ix%i with its title on top, help open or not, hints never split', async (columns, rows) => {
    const long = `/home/operator/${'deep/'.repeat(20)}workspace`;
    const r = renderAt(<Home runbooks={runbooks} remembered={{}} workspace={long} onDone={() => undefined} />, columns, rows);
    const check = (what: string): void => {
      const lines = r.frame().split('\n');
      expect(lines.length, `${what}: ${lines.length} rows on a ${rows}-row terminal:\n${r.frame()}`).toBeLessThanOrEqual(rows);
      // The title is the first row, under the production banner when that is up; a long path is cut in its middle.
      const title = lines[0]!.includes('PRODUCTION') ? lines[1] : lines[0];
      expect(title, what).toMatch(/^guarded-rollout · \/home\/.*workspace\s*$/);
      for (const l of lines) expect([...l].length, `${what}: a row wider than ${columns}: ${l}`).toBeLessThanOrEqual(columns);
      for (const h of hintItems(HOME_KEYS)) expect(lines.some((l) => l.includes(h)), `${what}: the hint "${h}" whole on one row:\n${r.frame()}`).toBe(true);
    };
    // renderAt resizes after the first render: wait for the frame drawn at this size (under load
    // the first, 100-column frame of ink-testing-library could still be the last one).
    await r.waitFor((f) => f.includes('Runbook') && f.split('\n').every((l) => [...l].length <= columns), 10_000, `the home drawn at ${columns} columns`);
    check('home');
    await r.press('?');
    await r.waitFor('Keys — home');
    check('help');
    // The way to roll back is never cut from the help, however small the terminal.
    expect(r.frame().replace(/[│\s]+/g, ' ')).toContain('Emergency rollback, any time: npx rollout rollback --env ENV (production: add --force).');
    await r.press('q', '\t', KEY.up); // close help; environment column; up to production
    await r.waitFor('!!! PRODUCTION');
    check('production');
    await r.press('?');
    await r.waitFor('Keys — home');
    check('production help');
    r.unmount();
  });
});
