// The T+60 monitor: polls health and metrics on the config's schedule, judges the quality gates,
// alerts, and rolls back exactly once when an auto-rollback gate breaches (or an operator asks).
// Every sample, evaluation and decision goes to the journal (logs/monitor_<env>_<ts>.log) so a
// killed monitor resumes the same window. Collaborators are injected: tests use fakes and a fake
// clock, the CLI and the TUI wire the real ones (monitor-wiring.ts). In three parts: the loop
// (monitor/loop.ts), the pure decision step (monitor/decide.ts) and the effects (monitor/effects.ts).
export { Monitor } from './monitor/loop.js';
export type * from './monitor/types.js';
