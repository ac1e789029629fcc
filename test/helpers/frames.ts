// Waiting for what a test needs instead of sleeping a guessed time: poll until a predicate holds,
// with a timeout whose error names what was awaited and shows what was last seen. Used by the UI
// tests (frames of ink-testing-library) and by tests that count events of real processes.

/** One turn of the event loop: pending renders, effects and I/O callbacks run, no wall time is guessed. */
export function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** How to wait: the timeout, how to show the last value, whether a throwing read only means "not yet", the poll spacing. */
export interface WaitOptions<T> {
  ms?: number;
  show?: (v: T) => string;
  /** A read that throws (a server still starting, a file not written yet) counts as "not yet"; the last error is shown on timeout. */
  tolerateErrors?: boolean;
  /** Milliseconds between reads after the first turn (5 unless told; polling a real server, use ~100). */
  intervalMs?: number;
}

/** For `ok`: a value that is there (not undefined, null, false, 0 or ''), typed as such. */
export function truthy<T>(v: T): v is Exclude<T, undefined | null | false | 0 | ''> {
  return Boolean(v);
}

/**
 * Polls `read` (a frame, a count, a query to a real server) until `ok` holds and returns that
 * value. `what` names the wait in the timeout's error, with the last value read (or the last
 * error, with tolerateErrors), so that a failure says what was seen.
 */
export async function waitUntil<T, U extends T>(read: () => T | Promise<T>, ok: (v: T) => v is U, what: string, o?: WaitOptions<T>): Promise<U>;
export async function waitUntil<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, what: string, o?: WaitOptions<T>): Promise<T>;
export async function waitUntil<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, what: string, o: WaitOptions<T> = {}): Promise<T> {
  const ms = o.ms ?? 10_000;
  const end = Date.now() + ms;
  for (;;) {
    let seen: string;
    try {
      const v = await read();
      if (ok(v)) return v;
      seen = o.show ? o.show(v) : String(v);
    } catch (e) {
      if (!o.tolerateErrors) throw e;
      seen = `an error: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen:\n${seen}`);
    // A short poll: a turn first (most frames are ready after one), then a few ms so a busy machine is not spun.
    await turn();
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 5));
  }
}

/** What a frame is awaited for: text in it, a pattern, or any predicate (named by `what`). */
export type FrameWant = string | RegExp | ((frame: string) => boolean);

/** Waits until `frame()` shows `want`; the error names it (or `what`) and shows the last frame. */
export function waitForFrame(frame: () => string, want: FrameWant, o: { what?: string; ms?: number } = {}): Promise<string> {
  const ok = typeof want === 'string' ? (f: string) => f.includes(want) : want instanceof RegExp ? (f: string) => want.test(f) : want;
  const what = o.what ?? (typeof want === 'function' ? 'a frame that satisfies the test' : `a frame showing ${String(want)}`);
  return waitUntil(frame, ok, what, { ...(o.ms !== undefined ? { ms: o.ms } : {}), show: (f) => f });
}
