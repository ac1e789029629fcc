#!/usr/bin/env node
// monitor_dhash.js (the seeds' command): the T+60 monitor with quality gates and auto-rollback — runs `rollout monitor`.
// Flags: --env E [--duration MIN] [--resume]. Any other flag of `rollout monitor` passes through.
// Only a dynamic import, so this file runs as CommonJS or as an ES module, in any folder.
import('./rollout-path.mjs').then((m) => m.rolloutExec(['seed-script', 'monitor_dhash', ...process.argv.slice(2)]));
