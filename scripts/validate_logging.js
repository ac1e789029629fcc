#!/usr/bin/env node
// validate_logging.js (the seeds' command): logging validation (redaction, torn lines) — runs `rollout validate-logging`.
// Flags: [--env E] [--output FILE]; every environment's logs are scanned. Any other flag of `rollout validate-logging` passes through.
// Only a dynamic import, so this file runs as CommonJS or as an ES module, in any folder.
import('./rollout-path.mjs').then((m) => m.rolloutExec(['seed-script', 'validate_logging', ...process.argv.slice(2)]));
