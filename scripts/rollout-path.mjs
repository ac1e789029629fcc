// Shared by the scripts/*.js wrappers (the seeds' `node scripts/monitor_dhash.js …`): runs
// `rollout` from, in this order, $ROLLOUT_BIN, the guarded-rollout package these scripts sit in,
// the workspace's node_modules/.bin/rollout, or rollout on PATH, and exits with its code.
// SIGINT and SIGTERM are passed on, so `pkill -f monitor_dhash.js` stops the monitor cleanly.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRollout() {
  if (process.env.ROLLOUT_BIN) return process.env.ROLLOUT_BIN;
  const here = dirname(fileURLToPath(import.meta.url));
  try {
    if (existsSync(join(here, '..', 'bin', 'rollout.js')) && JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')).name === 'guarded-rollout') return join(here, '..', 'bin', 'rollout.js');
  } catch {
    /* not inside the package */
  }
  const win = process.platform === 'win32';
  const local = join(here, '..', 'node_modules', '.bin', win ? 'rollout.cmd' : 'rollout');
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(win ? ';' : ':')) {
    for (const name of win ? ['rollout.cmd', 'rollout.exe'] : ['rollout']) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Run `rollout ARGS` with this terminal and exit with its code. */
export function rolloutExec(args) {
  const bin = findRollout();
  if (!bin) {
    process.stderr.write('rollout is not installed; run: npm install -g guarded-rollout (or set ROLLOUT_BIN).\n');
    process.exit(2);
  }
  const js = bin.endsWith('.js');
  const child = spawn(js ? process.execPath : bin, js ? [bin, ...args] : args, { stdio: 'inherit', shell: !js && process.platform === 'win32' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`cannot run ${bin}: ${e.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
}
