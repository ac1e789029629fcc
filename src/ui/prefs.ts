// The operator's name and last choices, remembered between runs with conf. Reading them, which the
// TUI's first frame needs, is a plain read of conf's JSON file: conf itself (with ajv, 0.5 MB to
// compile) is loaded only when something is saved, after the first frame.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the TUI remembers. */
export interface Prefs {
  operator?: string;
  runbook?: string;
  env?: string;
  mode?: string;
}

const PROJECT = 'guarded-rollout';

/** The folder conf keeps the file in: ROLLOUT_STATE_DIR, else env-paths' config folder for `guarded-rollout-nodejs` (conf's default). */
export function prefsDir(): string {
  // ROLLOUT_STATE_DIR lets tests and shared hosts keep the preferences elsewhere.
  if (process.env.ROLLOUT_STATE_DIR) return process.env.ROLLOUT_STATE_DIR;
  const name = `${PROJECT}-nodejs`;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Preferences', name);
  if (process.platform === 'win32') return join(process.env.APPDATA || join(homedir(), 'AppData', 'Roaming'), name, 'Config');
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), name);
}

/** The remembered preferences (empty when none or unreadable). */
export function loadPrefs(): Prefs {
  try {
    const data = JSON.parse(readFileSync(join(prefsDir(), 'config.json'), 'utf8')) as unknown;
    if (!data || typeof data !== 'object' || Array.isArray(data)) return {};
    // Only the known string fields: the file is the user's, but a screen shows these values.
    const out: Prefs = {};
    for (const k of ['operator', 'runbook', 'env', 'mode'] as const) {
      const v = (data as Record<string, unknown>)[k];
      if (typeof v === 'string') out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

let saving: Promise<void> = Promise.resolve();

/** Remember preferences (in order, in the background); a failure to save never stops a rollout. */
export function savePrefs(p: Prefs): Promise<void> {
  saving = saving.then(async () => {
    try {
      const { default: Conf } = await import('conf');
      const s = new Conf<Prefs>({ projectName: PROJECT, cwd: prefsDir() });
      for (const [k, v] of Object.entries(p)) if (typeof v === 'string') s.set(k as keyof Prefs, v);
    } catch {
      /* preferences are a convenience */
    }
  });
  return saving;
}
