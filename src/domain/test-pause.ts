// Test-only hook: when ROLLOUT_TEST_PAUSE_AT names a point (deploy steps: validate, backup,
// migrate, install, restart, restart:stopped, health, smoke; migrate use case: migrate-locked;
// backup and rollback: backup-locked, backup-writing (the first files are in the temp archive),
// verified, archived, extracting (files written, links not yet), staged, swapping, swapped, restarted; fleet rollouts: fleet:watch:<wave index>,
// fleet:between-waves, fleet:rolling-back), the process says so on stderr and waits forever there,
// so that a test can kill -9 it at exactly that point. Never set it in real use.

/** Pause here (forever) when ROLLOUT_TEST_PAUSE_AT names this point. */
export async function testPause(point: string): Promise<void> {
  if (process.env.ROLLOUT_TEST_PAUSE_AT !== point) return;
  process.stderr.write(`ROLLOUT_TEST_PAUSED ${point}\n`);
  await new Promise<void>(() => {
    setInterval(() => undefined, 60_000);
  });
}
