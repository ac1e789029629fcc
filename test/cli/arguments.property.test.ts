// Property test (fast-check) over the CLI argument surface: random command lines built from the
// real subcommands and flags, hostile values (prototype names, huge and tiny numbers, control
// characters, paths outside the workspace) and random strings, run through the real bundled CLI.
// Every run must end in exit 0, 2 or 3; a non-zero exit prints one sentence on stderr, never a
// stack trace or an internal error, and no raw control character reaches the terminal. Commands
// that would change something are always given --dry-run; runs are few (each spawns a process).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { deployTree } from '../backup/fixtures.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace();
  // Something deployed (as files) in every environment, so that a dry-run backup has state to plan.
  for (const env of ['production', 'staging', 'development']) deployTree(ws.root, env, '1.0.0');
});
afterAll(() => ws.cleanup());

// eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x9b]/;

const value = fc.oneof(
  fc.constantFrom('production', 'staging', 'development', '__proto__', 'constructor', 'toString', '', '-', '--', '1e12', '1e-9', '-5', 'NaN', '0', '../../etc/passwd', '/etc/passwd', 'backups/dhash_staging_20261123_101500.zip', '\x1b[2J', 'a\u202eb', 'x\ny', '%s%n', '1.0.0', '1.2.0-slow', 'forward', 'critical'),
  fc.string({ maxLength: 12 }),
);
const flag = fc.constantFrom('--env', '--version', '--backup', '--duration', '--type', '--message', '--tier', '--phase', '--scenario', '--speed', '--since', '--note', '--config', '--output', '--json', '--force', '--yes', '--no-color', '--bogus', '-h');
const SAFE = [
  ['verify'],
  ['backup', '--dry-run'],
  ['deploy', '--dry-run'],
  ['rollback', '--dry-run'],
  ['migrate', '--dry-run'],
  ['notify', '--dry-run'],
  ['validate-config'],
  ['report'],
  ['incident', 'list'],
  ['incident', 'show'],
  ['monitor', '--duration', 'not-a-number'],
  ['help'],
  ['nonexistent-command'],
];

describe('the CLI argument surface (property)', () => {
  it('any command line ends in exit 0, 2 or 3 with at most one sentence on stderr', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SAFE), fc.array(fc.tuple(flag, fc.option(value, { nil: undefined })), { maxLength: 4 }), fc.array(value, { maxLength: 2 }), async (base, flags, positional) => {
        const args = [...base, ...positional, ...flags.flatMap(([f, v]) => (v === undefined ? [f] : [f, v]))];
        // --config elsewhere or --output elsewhere would make the run read or write outside the test workspace.
        if (args.includes('--config') || args.includes('--output')) return;
        // Keep the dry-run and the invalid duration whatever the random part says.
        const safe = base[0] === 'monitor' ? [...args, '--duration', 'not-a-number'] : args;
        const r = await runCli(safe, { cwd: ws.root, timeoutMs: 60_000, env: { SLACK_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, EMAIL_TO: undefined, SMTP_HOST: undefined, SMTP_URL: undefined } });
        const where = `rollout ${JSON.stringify(safe)}\nexit ${r.code}\n${r.stderr}`;
        expect([0, 2, 3], where).toContain(r.code);
        expect(r.stderr, where).not.toMatch(/internal error|\n\s+at |node:internal|TypeError|RangeError/);
        expect(r.stderr, where).not.toMatch(RAW_CONTROL);
        expect(r.stdout, where).not.toMatch(RAW_CONTROL);
        if (r.code !== 0) expect(r.stderr, where).toMatch(/^rollout: \S/);
      }),
      { numRuns: 25 },
    );
  }, 600_000);
});
