// The CLI past the entry's fast paths (index.ts): `rollout` alone at a terminal opens the TUI
// without loading the command-line parser (tui-start.ts), a plain line of a hot headless command
// runs without it too (direct.ts); everything else is parsed by main.ts.
import { endOnUnhandled } from './handle-error.js';
import { bareTuiStart, startTui } from './tui-start.js';
import { directCommand, runDirect } from './direct.js';

endOnUnhandled();

const direct = directCommand(process.argv);
if (bareTuiStart(process.argv)) void startTui();
// rollback, deploy and service status|start|stop with a plain command line: no commander (direct.ts).
else if (direct) void runDirect(direct);
else void import('./main.js').then((m) => m.main(process.argv));
