// Given the TUI's remembered choices, when they are saved with conf and read back at the next start
// (a plain read of conf's file, so the first frame does not load conf), then the same values come
// back from the same file conf uses; a broken file means no preferences, never a crash.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Conf from 'conf';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadPrefs, prefsDir, savePrefs } from '../../src/ui/prefs.js';

const made: string[] = [];
const saved = { state: process.env.ROLLOUT_STATE_DIR, xdg: process.env.XDG_CONFIG_HOME };
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rollout-prefs-'));
  made.push(d);
  return d;
};
afterEach(() => {
  for (const [k, v] of [['ROLLOUT_STATE_DIR', saved.state], ['XDG_CONFIG_HOME', saved.xdg]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('TUI preferences', () => {
  it('reads back what was saved, later saves winning', async () => {
    process.env.ROLLOUT_STATE_DIR = temp();
    expect(loadPrefs()).toEqual({});
    void savePrefs({ operator: 'alice', runbook: 'dhash', env: 'staging', mode: 'live' });
    await savePrefs({ env: 'production' });
    expect(loadPrefs()).toEqual({ operator: 'alice', runbook: 'dhash', env: 'production', mode: 'live' });
  });

  it('reads the file conf writes by default (no ROLLOUT_STATE_DIR)', () => {
    delete process.env.ROLLOUT_STATE_DIR;
    process.env.XDG_CONFIG_HOME = temp();
    const conf = new Conf<{ operator?: string }>({ projectName: 'guarded-rollout' });
    conf.set('operator', 'bob');
    expect(dirname(conf.path)).toBe(prefsDir());
    expect(loadPrefs()).toEqual({ operator: 'bob' });
  });

  it('treats a broken or odd file as no preferences, and keeps only the known string fields', () => {
    process.env.ROLLOUT_STATE_DIR = temp();
    writeFileSync(join(prefsDir(), 'config.json'), '{"operator": "al');
    expect(loadPrefs()).toEqual({});
    writeFileSync(join(prefsDir(), 'config.json'), '[1,2]');
    expect(loadPrefs()).toEqual({});
    writeFileSync(join(prefsDir(), 'config.json'), '{"operator": {"x": 1}, "env": "staging", "__proto__": {"mode": "training"}}');
    const p = loadPrefs();
    expect(p).toEqual({ env: 'staging' });
    expect(p.mode).toBeUndefined();
  });
});
