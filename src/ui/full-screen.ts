// The TUI draws on the terminal's alternate screen (as k9s, lazygit and htop do), so frames never
// pile up in the scrollback, and the shell prompt and earlier scrollback come back on exit. The
// normal screen is restored on every way out: a normal exit, Ctrl-C, SIGTERM/SIGHUP (the callers
// unmount, then call restore), process exit, and a crash (an uncaught exception). TERM=dumb, a
// non-TTY stdout or ROLLOUT_INLINE=1 keep the inline mode.
import { handleError } from '../cli/handle-error.js';
const ENTER = '\u001b[?1049h\u001b[H';
const LEAVE = '\u001b[?25h\u001b[?1049l';

/** A full-screen session; restore() is idempotent. */
export interface FullScreen {
  readonly active: boolean;
  restore(): void;
}

/** True when the alternate screen should be used for this stdout and environment. */
export function wantsFullScreen(out: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(out.isTTY) && env.TERM !== 'dumb' && env.ROLLOUT_INLINE !== '1';
}

/** Switch to the alternate screen (when wanted) until restore(). */
export function enterFullScreen(out: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): FullScreen {
  if (!wantsFullScreen(out, env)) return { active: false, restore: () => undefined };
  out.write(ENTER);
  let restored = false;
  const leave = (): void => {
    if (restored) return;
    restored = true;
    try {
      out.write(LEAVE);
    } catch {
      /* a closed terminal has nothing to restore */
    }
  };
  // A crash must not leave the terminal on the alternate screen with the error invisible.
  const crash = (e: unknown): void => {
    leave();
    process.exit(handleError(e, false));
  };
  process.once('exit', leave);
  process.on('uncaughtException', crash);
  return {
    active: true,
    restore: () => {
      leave();
      process.off('exit', leave);
      process.off('uncaughtException', crash);
    },
  };
}
