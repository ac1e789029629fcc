// Loading the Ink screens. Ink decides at import time, from the CI variable, to draw only the
// last frame; a person at a real terminal (stdin and stdout are TTYs: checked by the callers)
// must see the live screen even when their shell, or a CI job driving a terminal, sets CI.
/** Import a UI module after making sure Ink will draw live frames. */
export async function loadTui<T>(load: () => Promise<T>): Promise<T> {
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[k];
  return load();
}
