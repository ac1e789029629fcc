#!/usr/bin/env node
// The `rollout` command: runs the bundled CLI built by `npm install` (prepare) or `npm run build`.
import('../dist/cli.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist')) {
    process.stderr.write('rollout: the program is not built yet; run `npm install` (or `npm run build`) in its folder.\n');
    process.exit(2);
  }
  process.stderr.write(`rollout: internal error: ${e && e.message ? e.message : e}.\n`);
  process.exit(1);
});
