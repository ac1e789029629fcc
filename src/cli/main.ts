// The `rollout` entry point: parses every subcommand of SPEC.md with commander and hands it to a
// lazily imported handler, so that `rollout --help` loads nothing heavy. Errors go through one
// handler (handle-error.ts) to SPEC.md's exit codes.
import { Command, CommanderError, Option } from 'commander';
import { terminalSafe } from '../domain/terminal-text.js';
import { handleError } from './handle-error.js';
import { runCommand, type Loader } from './run-handler.js';
import { ExitCode } from '../domain/errors.js';
import { VERSION } from './version.js';

const ENV_HELP = 'environment: production, staging, development (as the config defines)';

function addGlobals(cmd: Command): Command {
  return cmd
    .option('--json', 'print one machine-readable result object on stdout')
    .option('--config <path>', 'path to quality-gates-config.json (its folder is the workspace)')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)');
}

function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExample:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

let exitCode: number = ExitCode.ok;

function action(loader: Loader, name: string): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as Record<string, unknown>;
    // optsWithGlobals lets an ancestor's value win, and the program's --no-color always has one
    // (its default, true): `rollout run --no-color` kept colour. Typed anywhere on the line, it counts.
    for (let c: Command | null = cmd; c; c = c.parent) if (c.opts().color === false) opts.color = false;
    const args = (cmd.args ?? []).map(String);
    exitCode = await runCommand(name, loader, args, opts, { program: buildProgram, main });
  };
}

/**
 * Build the command tree (exported for tests of the help text): the whole tree, or with `only`
 * just the program and that one subcommand (with its own subcommands).
 */
export function buildProgram(only?: string): Command {
  // A headless command needs only its own branch: building all of them compiles and runs most of
  // commander for options nobody typed (~5-20 ms of every start under load).
  const want = (name: string): boolean => only === undefined || only === name;
  const program = addGlobals(new Command('rollout'))
    .description('Guarded rollouts of the dhash service: backup, sign-off, migrate, deploy, then a T+60 monitor with quality gates and auto-rollback.\nWith no subcommand in a terminal, opens the TUI.')
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Commander quotes what was typed (an unknown option, a bad value): escape it like everything else.
      writeErr: (str) => process.stderr.write(terminalSafe(str)),
      // One line: Commander puts its "(Did you mean …?)" on a line of its own.
      outputError: (str, write) => write(`rollout: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ').replace(/\.?$/, '.')}\n`),
    })
    // Program options only before the subcommand: otherwise `deploy --version 1.1.0` prints the tool version.
    .enablePositionalOptions()
    .addHelpText('after', `
Exit codes: 0 success · 1 a step, smoke test or gate failed · 2 bad usage, invalid config or input · 3 refused for safety.
Files live in the workspace: the folder holding quality-gates-config.json (found from here upwards, or --config).

Examples:
  $ rollout                                      # the TUI on the embedded demo service
  $ rollout deploy --env staging --version 1.1.0 --yes
  $ rollout rollback --env production --force    # emergency: newest verified backup`);

  const sub = (name: string, desc: string, loader: Loader): Command => {
    const c = addGlobals(program.command(name).description(desc));
    c.action(action(loader, name));
    return c;
  };
  const env = (c: Command, required = true): Command => (required ? c.requiredOption('--env <env>', ENV_HELP) : c.option('--env <env>', ENV_HELP));

  if (want('run')) {
    example(
      env(sub('run [runbook]', 'walk a runbook headless: checklist, backup, verify, sign-off, migrate, deploy, smoke, monitor', () => import('./commands/run.js')))
        .option('--dry-run', 'plan every step, change nothing')
        .option('--yes', 'confirm the deploy (required for production without a terminal)')
        .option('--operator <name>', 'who runs the rollout (recorded in the audit log and the sign-off)')
        .option('--confirm <item...>', 'manual checklist items confirmed by the operator (ids from the runbook, or "all")')
        .option('--sign-off <name>', 'the deploy operator signing off (production requires it)')
        .option('--version <version>', 'release to deploy')
        .option('--resume', 'continue an interrupted walk from its journal'),
      'rollout run dhash --env staging --version 1.1.0 --confirm all --sign-off alice --yes',
    );
  }
  if (want('backup')) {
    example(env(sub('backup', 'SHA256-verified backup of the environment\'s deployed state', () => import('./commands/backup.js'))).option('--dry-run', 'list what would be archived, write backup-dryrun.log only'), 'rollout backup --env staging');
  }
  if (want('verify')) {
    example(env(sub('verify [backup]', 'verify a backup: .sha256, zip structure and CRCs, every manifest entry (default: the latest for --env)', () => import('./commands/verify.js')), false), 'rollout verify --env production', 'rollout verify backups/dhash_staging_20261123_101500.zip');
  }
  if (want('deploy')) {
    example(
      env(sub('deploy', 'deploy a release, then start the T+60 monitor unless --no-monitor', () => import('./commands/deploy.js')))
        .option('--version <version>', 'release to deploy (default: the runbook\'s default_version)')
        .option('--auto-promote', 'a fleet (target kind ansible): go on to the next wave whenever a wave passes its gates')
        .option('--abort', 'a fleet: roll back every host the unfinished rollout reached')
        .option('--backup-first', 'take a verified backup before deploying')
        .option('--dry-run', 'write the plan and the commands it would run, change nothing')
        .option('--yes', 'confirm (required for production without a terminal)')
        .option('--no-monitor', 'do not start the monitor after the deploy')
        .option('--resume', 'finish the interrupted deploy from its journal: restart only if unproven, then health and smoke')
        .option('--operator <name>', 'who deploys'),
      'rollout deploy --env staging --version 1.1.0 --backup-first --yes',
    );
  }
  if (want('migrate')) {
    example(
      env(sub('migrate', 'apply or undo migrations; state in migrations/<env>_migration_state.json', () => import('./commands/migrate.js')))
        .addOption(new Option('--type <type>', 'forward applies the pending ones; backward undoes the last').choices(['forward', 'backward']).makeOptionMandatory())
        .option('--dry-run', 'list what would run'),
      'rollout migrate --env staging --type forward',
    );
  }
  if (want('monitor')) {
    example(
      env(sub('monitor', 'the T+60 monitor: quality gates, adaptive polling, auto-rollback', () => import('./commands/monitor.js')))
        .option('--duration <minutes>', 'length of the window in minutes (fractions allowed)')
        .option('--resume', 'continue the interrupted window from its journal'),
      'rollout monitor --env production --duration 60',
    );
  }
  if (want('rollback')) {
    example(
      env(sub('rollback', 'restore a verified backup (default: the newest that verifies)', () => import('./commands/rollback.js')))
        .option('--backup <file>', 'the backup to restore')
        .option('--force', 'confirm (required for production without a terminal)')
        .option('--dry-run', 'write the plan to rollback-dryrun.log, change nothing')
        .option('--again', 'restore and restart even when the backup\'s version already runs and is healthy')
        .option('--operator <name>', 'who rolls back'),
      'rollout rollback --env production --force',
    );
  }
  if (want('smoke')) {
    example(
      env(sub('smoke', 'smoke tests from the runbook; a result table; exit 1 on any failure', () => import('./commands/smoke.js')))
        .addOption(new Option('--tier <tier>', 'which checks').choices(['critical', 'standard', 'all']).default('all'))
        .addOption(new Option('--phase <phase>', 'when they run').choices(['pre-deploy', 'post-deploy', 'post-rollback']).default('post-deploy'))
        .option('--dry-run', 'list the checks that would run, run none')
        .option('--output <file>', 'also append the run\'s log events (JSON Lines) to this file'),
      'rollout smoke --env production --phase post-rollback',
    );
  }
  if (want('notify')) {
    example(
      env(sub('notify', 'send a notification through every configured channel (Slack, Teams, Discord, email; file fallback)', () => import('./commands/notify.js')))
        .requiredOption('--type <type>', 'test, deploy-start, deploy-success, deploy-failure, sign-off, gate-warn, gate-breach, rollback-start, rollback-success, rollback-failure, monitor-complete')
        .requiredOption('--message <message>', 'the text to send')
        .option('--dry-run', 'send nothing; print each payload with secrets masked and write it to notifications/fallback/'),
      'rollout notify --type test --env staging --message "hello from the rollout" --dry-run',
    );
  }
  if (want('premerge')) {
    example(sub('premerge', 'pre-merge validation in a temporary copy of the workspace; writes premerge_artifacts/', () => import('./commands/premerge.js')), 'rollout premerge');
  }
  if (want('train')) {
    example(
      sub('train', 'staging dry-run practice against a simulated incident', () => import('./commands/train.js'))
        .option('--scenario <name>', 'a timeline under runbooks/scenarios/')
        .option('--speed <n>', 'run the clock N times faster')
        .option('--yes', 'r rolls back at once, without typing the environment name (for scripts)'),
      'rollout train --scenario p95-regression --speed 30',
    );
  }
  if (want('service')) {
    const service = addGlobals(program.command('service').description('the environment\'s running service: status, start, stop'));
    for (const [verb, desc] of [['status', 'version, pid, URL and health'], ['start', 'start the service'], ['stop', 'stop the service']] as const) {
      example(env(addGlobals(service.command(verb).description(desc))).action(action(() => import('./commands/service.js'), `service ${verb}`)), `rollout service ${verb} --env staging`);
    }
  }
  if (want('incident')) {
    const incident = addGlobals(program.command('incident').description('incident records written by rollbacks'));
    example(addGlobals(incident.command('list').description('list incidents')).option('--env <env>', ENV_HELP).action(action(() => import('./commands/incident.js'), 'incident list')), 'rollout incident list');
    example(addGlobals(incident.command('show <id>').description('show an incident report')).action(action(() => import('./commands/incident.js'), 'incident show')), 'rollout incident show INC-20261123-101500');
    example(
      addGlobals(incident.command('close <id>').description('close an incident'))
        .option('--false-positive', 'the rollback was not needed (counts in the false-positive rate)')
        .option('--note <note>', 'a closing note')
        .action(action(() => import('./commands/incident.js'), 'incident close')),
      'rollout incident close INC-20261123-101500 --false-positive --note "metrics outage"',
    );
  }
  if (want('validate-config')) {
    example(sub('validate-config', 'check quality-gates-config.json and every runbook', () => import('./commands/validate-config.js')), 'rollout validate-config --config ./quality-gates-config.json');
  }
  if (want('validate-logging')) {
    example(sub('validate-logging', 'scan logs/ and notifications/ for unredacted secrets and malformed lines; writes logs/test_logging.log', () => import('./commands/validate-logging.js')).option('--output <file>', 'where to write the report (default logs/test_logging.log)'), 'rollout validate-logging');
  }
  if (want('report')) {
    example(
      sub('report', 'rollout metrics: success rate, auto-rollback frequency, MTTR, false positives, gate baselines', () => import('./commands/report.js'))
        .option('--env <env>', ENV_HELP)
        .option('--since <date>', 'only rollouts since this date (YYYY-MM-DD)'),
      'rollout report --env production --since 2026-11-01 --json',
    );
  }
  if (want('replay')) {
    example(
      env(sub('replay', 'replay every recorded monitor window of an environment against a candidate config (default: the current one)', () => import('./commands/replay.js')))
        .option('--since <date>', 'only windows started since this date (YYYY-MM-DD)')
        .option('--candidate <file>', 'a config shaped like quality-gates-config.json to judge the windows with'),
      'rollout replay --env production --candidate ./candidate-gates.json --since 2026-11-01',
    );
  }
  if (want('tune')) {
    example(
      env(sub('tune', 'propose gate thresholds from the healthy windows\' baselines, as a diff replayed over every recorded window', () => import('./commands/tune.js')))
        .option('--since <date>', 'only windows started since this date (YYYY-MM-DD)')
        .option('--margin <pct>', 'headroom over the healthy p95 or max, in percent (default 20); above 20 it also allows steps that large')
        .option('--write', 'write the proposal to quality-gates-config.json (atomically), then validate it'),
      'rollout tune --env staging --since 2026-11-01',
      'rollout tune --env staging --write',
    );
  }
  if (want('prune')) {
    example(sub('prune', 'apply retention: backups 30 days, monitor logs 90, rollback logs 365, incidents 7 years', () => import('./commands/prune.js')).option('--dry-run', 'list what would be removed'), 'rollout prune --dry-run');
  }

  if (want('init')) {
    example(
      sub('init [dir]', 'a new workspace: quality-gates-config.json with its schema, runbooks/, scripts/, .gitignore, README', () => import('./commands/init.js'))
        .addOption(new Option('--example <kind>', 'local is the embedded demo service').choices(['local', 'ansible', 'systemd', 'kubernetes', 'fleet']).default('local'))
        .option('--force', 'overwrite the files init writes if they exist'),
      'rollout init demo && cd demo && rollout',
    );
  }
  if (want('completion')) {
    example(sub('completion <shell>', 'print the completion script for bash, zsh or fish', () => import('./commands/completion.js')), 'source <(rollout completion bash)', 'rollout completion fish > ~/.config/fish/completions/rollout.fish');
  }
  if (want('help')) {
    example(sub('help [command...]', 'help for a command', () => import('./commands/help.js')), 'rollout help service stop');
  }
  // What scripts/<name>.sh|.js|.ps1 (the seeds' commands) run: not for typing, so hidden.
  if (want('seed-script')) {
    program
      .command('seed-script <name> [args...]', { hidden: true })
      .description("run one of the seeds' scripts with its flags (scripts/deploy_dhash.sh, …)")
      .helpOption(false)
      .passThroughOptions()
      .allowUnknownOption()
      .action(action(() => import('./commands/seed-script.js'), 'seed-script'));
  }

  program.allowExcessArguments(true).action(action(() => import('./commands/home.js'), 'tui'));
  return program;
}

/**
 * The tree with only the subcommand typed first (argv[2]), or undefined for anything else: an
 * option first, an unknown command (its "Did you mean" needs every name), `help` and `completion`
 * (they read the whole tree), nothing. Commander dispatches on argv[2] alone in that case
 * (subcommands have no aliases), so the lazy tree parses, fails and prints exactly as the whole one.
 */
export function lazyProgram(first: string | undefined): Command | undefined {
  if (first === undefined || first.startsWith('-') || first === 'help' || first === 'completion') return undefined;
  const program = buildProgram(first);
  return program.commands.length > 0 ? program : undefined;
}

/** Parse argv, run the command, exit with its code (`program`: a given tree, for tests comparing the lazy one with the whole). */
export async function main(argv: string[], program: Command = lazyProgram(argv[2]) ?? buildProgram()): Promise<void> {
  const json = argv.includes('--json');
  // `rollout --version --json`: the program options stand before any subcommand.
  const first = argv.findIndex((a, i) => i >= 2 && !a.startsWith('-'));
  const head = first === -1 ? argv.slice(2) : argv.slice(2, first);
  if (head.includes('--version') && head.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ name: 'guarded-rollout', version: VERSION, node: process.version, platform: process.platform, arch: process.arch })}\n`);
    process.exitCode = ExitCode.ok;
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') exitCode = ExitCode.ok;
      else {
        exitCode = ExitCode.usage;
        if (json) process.stdout.write(`${JSON.stringify({ ok: false, exit_code: ExitCode.usage, error: e.message.replace(/^error: /, '') })}\n`);
      }
    } else exitCode = handleError(e, json);
  }
  process.exitCode = exitCode;
}
