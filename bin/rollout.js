#!/usr/bin/env node
// The `rollout` command: runs the bundled CLI built by `npm install` (prepare) or `npm run build`.
// Node 20.15 is the oldest with every API the bundle calls (zlib.crc32 from 20.15, crypto.hash
// from 20.12): on an older Node it would fail mid-command (verify, restore) with a TypeError, so
// it is refused here, before anything runs (package.json "engines" says the same).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 15)) {
  process.stderr.write(`rollout: needs Node.js 20.15 or newer, but this is Node.js ${process.versions.node}; install a newer Node.\n`);
  process.exit(2);
}
import('../dist/cli.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist')) {
    process.stderr.write('rollout: the program is not built yet; run `npm install` (or `npm run build`) in its folder.\n');
    process.exit(2);
  }
  process.stderr.write(`rollout: internal error: ${e && e.message ? e.message : e}.\n`);
  process.exit(1);
});
