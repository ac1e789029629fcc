// Loading the Ink screens. Ink decides at import time, from the CI variable, to draw only the
// last frame; a person at a real terminal (stdin and stdout are TTYs: checked by the callers)
// must see the live screen even when their shell, or a CI job driving a terminal, sets CI.
//
// Ink's layout engine (yoga-layout) instantiates its WebAssembly at import time from a base64
// data: URL, and it fetch()es that URL whenever a global fetch exists: that loads and compiles
// Node's internal undici (~60 ms of CPU before the first frame) only to decode a string. Without
// a global fetch it decodes the same bytes synchronously with atob. So fetch is hidden while the
// screens are imported; no caller has a probe or a notification in flight at that moment (each
// awaits this before it starts any), and fetch is put back as it was once the import settles.
/** Import a UI module after making sure Ink will draw live frames. */
export async function loadTui<T>(load: () => Promise<T>): Promise<T> {
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[k];
  const fetchProp = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetchProp?.configurable) Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    if (fetchProp?.configurable) Object.defineProperty(globalThis, 'fetch', fetchProp);
  }
}
