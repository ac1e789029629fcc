// The seeds' scripts (scripts/deploy_dhash.sh, smoke_tests.sh, monitor_dhash.js, …) as `rollout`
// command lines. The wrappers in scripts/ call `rollout seed-script NAME ARGS…`; this is the one
// place that knows the seeds' flags, so the .sh, .ps1 and .js twins cannot map them differently.
import { UsageError } from '../domain/errors.js';

/** The seeds' script names (without .sh/.js/.ps1) and the rollout command each one runs. */
export const SEED_COMMANDS = {
  deploy_dhash: 'deploy',
  backup_dhash: 'backup',
  migrate_dhash: 'migrate',
  rollback_dhash: 'rollback',
  smoke_tests: 'smoke',
  monitor_dhash: 'monitor',
  notify: 'notify',
  validate_logging: 'validate-logging',
} as const;
export type SeedScript = keyof typeof SEED_COMMANDS;

const PHASE_FLAGS: Record<string, string> = { '--pre-deploy': 'pre-deploy', '--post-deploy': 'post-deploy', '--post-rollback': 'post-rollback' };

/** The `rollout` argv for a seed script's arguments; flags of rollout itself pass through. */
export function seedCommandLine(script: string, args: readonly string[]): { argv: string[]; notes: string[] } {
  const name = script.replace(/\.(sh|js|ps1)$/, '');
  if (!Object.hasOwn(SEED_COMMANDS, name)) throw new UsageError(`Unknown seed script "${script}": known are ${Object.keys(SEED_COMMANDS).join(', ')}.`);
  const cmd = SEED_COMMANDS[name as SeedScript];
  const out: string[] = [cmd];
  let phase: string | undefined;
  let sawType = false;
  let envGiven: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (name === 'smoke_tests' && a in PHASE_FLAGS) {
      if (phase && phase !== PHASE_FLAGS[a]) throw new UsageError(`smoke_tests: ${a} contradicts --${phase}; give one phase.`);
      phase = PHASE_FLAGS[a];
      continue;
    }
    // The seeds' deploy script takes --force where rollout deploy asks for --yes.
    if (name === 'deploy_dhash' && a === '--force') {
      out.push('--yes');
      continue;
    }
    if (name === 'migrate_dhash' && (a === '--type' || a.startsWith('--type='))) sawType = true;
    // validate_logging scans every environment's logs: the seeds' --env is accepted and noted.
    if (name === 'validate_logging' && (a === '--env' || a.startsWith('--env='))) {
      envGiven = a.includes('=') ? a.slice(6) : args[++i];
      continue;
    }
    out.push(a);
  }
  if (phase) out.push('--phase', phase);
  // The seeds run `migrate_dhash.sh --env staging --dry-run` with no --type: forward is meant.
  if (name === 'migrate_dhash' && !sawType) out.push('--type', 'forward');
  if (envGiven !== undefined && !envGiven) throw new UsageError('validate_logging: --env needs a value.');
  const notes = envGiven ? [`validate_logging: rollout validate-logging scans the logs of every environment, ${envGiven} included.`] : [];
  return { argv: out, notes };
}
