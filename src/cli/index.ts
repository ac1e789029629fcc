// Bundle entry: run the CLI.
import { main } from './main.js';

// `rollout … | head` closes the pipe early. That must never stop a deploy or a rollback half
// way: the output is dropped from then on, and the command runs to its end (its log has it all).
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    s.write = (() => true) as typeof s.write;
  });
}

void main(process.argv);
