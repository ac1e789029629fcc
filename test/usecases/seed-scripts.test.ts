// Given the seeds' script names and flags, when they are mapped onto rollout command lines, then
// the seeds' own flags become rollout's and everything else passes through unchanged.
import { describe, expect, it } from 'vitest';
import { SEED_COMMANDS, seedCommandLine } from '../../src/usecases/seed-scripts.js';
import { UsageError } from '../../src/domain/errors.js';

describe('seed script command lines', () => {
  it('maps each script to its command, whatever its extension', () => {
    expect(Object.keys(SEED_COMMANDS).sort()).toEqual(['backup_dhash', 'deploy_dhash', 'migrate_dhash', 'monitor_dhash', 'notify', 'rollback_dhash', 'smoke_tests', 'validate_logging']);
    expect(seedCommandLine('backup_dhash.sh', ['--env', 'production']).argv).toEqual(['backup', '--env', 'production']);
    expect(seedCommandLine('monitor_dhash.js', ['--env', 'production', '--duration', '30']).argv).toEqual(['monitor', '--env', 'production', '--duration', '30']);
    expect(seedCommandLine('rollback_dhash.ps1', ['--backup', 'backups/x.zip', '--env', 'production', '--force']).argv).toEqual(['rollback', '--backup', 'backups/x.zip', '--env', 'production', '--force']);
  });

  it("translates the seeds' own flags", () => {
    expect(seedCommandLine('deploy_dhash', ['--env', 'production', '--force']).argv).toEqual(['deploy', '--env', 'production', '--yes']);
    expect(seedCommandLine('smoke_tests', ['--env', 'staging', '--post-rollback', '--output', 'logs/m.log']).argv).toEqual(['smoke', '--env', 'staging', '--output', 'logs/m.log', '--phase', 'post-rollback']);
    expect(seedCommandLine('migrate_dhash', ['--env', 'staging', '--dry-run']).argv).toEqual(['migrate', '--env', 'staging', '--dry-run', '--type', 'forward']);
    expect(seedCommandLine('migrate_dhash', ['--env', 'staging', '--type', 'backward']).argv).toEqual(['migrate', '--env', 'staging', '--type', 'backward']);
    const v = seedCommandLine('validate_logging', ['--env', 'production']);
    expect(v.argv).toEqual(['validate-logging']);
    expect(v.notes).toEqual(['validate_logging: rollout validate-logging scans the logs of every environment, production included.']);
  });

  it('refuses an unknown script and two different phases', () => {
    expect(() => seedCommandLine('quick-deploy.sh', [])).toThrow(UsageError);
    expect(() => seedCommandLine('smoke_tests', ['--post-deploy', '--post-rollback'])).toThrow(/contradicts/);
    expect(() => seedCommandLine('__proto__', [])).toThrow(UsageError);
  });
});
