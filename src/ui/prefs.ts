// The operator's name and last choices, remembered between runs with conf.
import Conf from 'conf';

/** What the TUI remembers. */
export interface Prefs {
  operator?: string;
  runbook?: string;
  env?: string;
  mode?: string;
}

function store(): Conf<Prefs> {
  // ROLLOUT_STATE_DIR lets tests and shared hosts keep the preferences elsewhere.
  return new Conf<Prefs>({ projectName: 'guarded-rollout', ...(process.env.ROLLOUT_STATE_DIR ? { cwd: process.env.ROLLOUT_STATE_DIR } : {}) });
}

/** The remembered preferences (empty when none or unreadable). */
export function loadPrefs(): Prefs {
  try {
    return { ...store().store };
  } catch {
    return {};
  }
}

/** Remember preferences; a failure to save never stops a rollout. */
export function savePrefs(p: Prefs): void {
  try {
    const s = store();
    for (const [k, v] of Object.entries(p)) if (typeof v === 'string') s.set(k as keyof Prefs, v);
  } catch {
    /* preferences are a convenience */
  }
}
