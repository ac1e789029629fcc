// Bundle entry: run the CLI.
import { main } from './main.js';
import { handleError } from './handle-error.js';

// `rollout … | head` closes the pipe early. That must never stop a deploy or a rollback half
// way: the output is dropped from then on, and the command runs to its end (its log has it all).
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    s.write = (() => true) as typeof s.write;
  });
}

// Last resort: a rejection nobody awaited (a stream failing on a full disk) ends the command with
// the one sentence and exit code of handleError, never Node's raw stack.
const last = (e: unknown): void => {
  process.exitCode = handleError(e, process.argv.includes('--json'));
  process.exit();
};
process.on('unhandledRejection', last);
process.on('uncaughtException', last);

void main(process.argv);
