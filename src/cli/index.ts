// Bundle entry. `rollout --version` and `rollout --help` are answered here, from what the build
// recorded (top-help.ts), without loading commander or any other chunk; everything else goes on
// to hot.ts or start.ts. In tests (not bundled) nothing is recorded and every command takes that path.
import { renderTopHelp, stdoutHelpWidth, type TopHelp } from './top-help.js';

// Set by scripts/build.mjs (esbuild define); read directly so that the entry imports no chunk.
declare const __ROLLOUT_VERSION__: string | undefined;
declare const __ROLLOUT_TOP_HELP__: string | undefined; // JSON of a TopHelp

// `rollout … | head` closes the pipe early. That must never stop a deploy or a rollback half
// way: the output is dropped from then on, and the command runs to its end (its log has it all).
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    s.write = (() => true) as typeof s.write;
  });
}

const args = process.argv.slice(2);
const version = typeof __ROLLOUT_VERSION__ === 'string' ? __ROLLOUT_VERSION__ : undefined;
const topHelp = typeof __ROLLOUT_TOP_HELP__ === 'string' ? __ROLLOUT_TOP_HELP__ : undefined;
if (args.length === 1 && args[0] === '--version' && version) process.stdout.write(`${version}\n`);
else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h') && topHelp) process.stdout.write(renderTopHelp(JSON.parse(topHelp) as TopHelp, stdoutHelpWidth()));
// rollback, deploy, service and verify without a terminal (scripts, CI, a rollback in a hurry): module
// graphs of their own (hot.ts), which hold no screens; everything else: start.ts.
else if (!(process.stdin.isTTY && process.stdout.isTTY) && args[0] === 'rollback') void import('./hot-rollback.js');
else if (!(process.stdin.isTTY && process.stdout.isTTY) && args[0] === 'deploy') void import('./hot-deploy.js');
else if (!(process.stdin.isTTY && process.stdout.isTTY) && args[0] === 'service') void import('./hot-service.js');
// (verify's graph starts its hashing thread first: not for a help line, which commander answers)
else if (!(process.stdin.isTTY && process.stdout.isTTY) && args[0] === 'verify' && !args.includes('--help') && !args.includes('-h')) void import('./hot-verify.js');
else void import('./start.js');
