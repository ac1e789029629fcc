// The CLI past the entry's fast paths (index.ts): `rollout` alone at a terminal opens the TUI
// without loading the command-line parser (tui-start.ts); everything else is parsed by main.ts.
import { handleError } from './handle-error.js';
import { bareTuiStart, startTui } from './tui-start.js';

// Last resort: a rejection nobody awaited (a stream failing on a full disk) ends the command with
// the one sentence and exit code of handleError, never Node's raw stack.
const last = (e: unknown): void => {
  process.exitCode = handleError(e, process.argv.includes('--json'));
  process.exit();
};
process.on('unhandledRejection', last);
process.on('uncaughtException', last);

if (bareTuiStart(process.argv)) void startTui();
else void import('./main.js').then((m) => m.main(process.argv));
