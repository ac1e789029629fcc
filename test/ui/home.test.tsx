// Given the home screen, when the operator presses keys, then the choices, banners and hints on
// screen follow; the keymap table drives both the keys and the hints.
import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { Home } from '../../src/ui/Home.js';
import { HOME_KEYS, hintLine } from '../../src/ui/keymap.js';
import type { HomeState } from '../../src/ui/home-state.js';
import { waitUntil } from '../helpers/frames.js';
import { settle } from './render-at.js';

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
});
