// Bundle entry: run the CLI.
import { main } from './main.js';

// `rollout --help | head` closes the pipe early: that is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

void main(process.argv);
