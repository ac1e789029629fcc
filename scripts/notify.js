#!/usr/bin/env node
// notify.js (the seeds' command): a notification through every configured channel — runs `rollout notify`.
// Flags: --type T --env E --message M [--dry-run]. Any other flag of `rollout notify` passes through.
// Only a dynamic import, so this file runs as CommonJS or as an ES module, in any folder.
import('./rollout-path.mjs').then((m) => m.rolloutExec(['seed-script', 'notify', ...process.argv.slice(2)]));
