// Start of the hot headless commands (rollback, deploy, service, verify): index.ts sends a command line
// starting with one of their names, run without a terminal, to its entry (hot-rollback.ts, …),
// which imports this. The build (scripts/build.mjs) bundles each entry as a module graph of its
// own, with that handler and what it always uses loaded eagerly, so that such a start reads a few
// files instead of the ~35-60 small chunks that the shared graph splits them into (each ESM file
// costs a resolve, four thread-pool reads, a compile and a link). A line the direct path does not
// serve (help, a typo, --opt=value) goes to start.ts of the shared graph before anything here has
// run, so one process never mixes two graphs' module state.
import { endOnUnhandled } from './handle-error.js';
import { directCommand, runDirect } from './direct.js';

const direct = directCommand(process.argv);
if (direct) {
  // (start.ts installs the same for the lines it runs)
  endOnUnhandled();
  void runDirect(direct);
} else void import('./start.js');
