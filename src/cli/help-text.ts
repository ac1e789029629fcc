// One help text, three readers: `rollout help COMMAND`, the man page (rollout.1, written at build
// time) and the shell completion scripts all walk the same commander tree, so none can drift.
import type { Command, Option } from 'commander';

/** The full help of a command as `--help` prints it, examples included. */
export function helpOf(cmd: Command, width?: number): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s), ...(width ? { getOutHelpWidth: () => width, getErrHelpWidth: () => width } : {}) });
  cmd.outputHelp();
  return text;
}

/** The visible subcommands of a command. */
export function visibleCommands(cmd: Command): Command[] {
  return cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
}

/** The command at a path of names (`['service', 'status']`), or undefined. */
export function findCommand(program: Command, path: readonly string[]): Command | undefined {
  let cur: Command | undefined = program;
  for (const name of path) {
    cur = cur?.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!cur) return undefined;
  }
  return cur;
}

/** Every visible command with its path from the program (depth first). */
export function commandPaths(program: Command): { path: string[]; cmd: Command }[] {
  const out: { path: string[]; cmd: Command }[] = [];
  const walk = (c: Command, path: string[]): void => {
    for (const sub of visibleCommands(c)) {
      out.push({ path: [...path, sub.name()], cmd: sub });
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return out;
}

/** The options of a command that an operator can type (help and version included). */
export function optionsOf(cmd: Command): Option[] {
  return cmd.options.filter((o) => !o.hidden);
}

/** True when the option takes a value (`--env <env>`). */
export function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

// roff: a backslash doubles, a leading dot or quote would be read as a request.
function roff(line: string): string {
  const s = line.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

/** The man page (roff, section 1) for the whole program. */
export function manPage(program: Command, version: string, date: Date): string {
  const day = date.toISOString().slice(0, 10);
  const lines: string[] = [
    `.TH ROLLOUT 1 "${day}" "guarded-rollout ${version}" "User Commands"`,
    '.SH NAME',
    `rollout \\- ${roff(program.description().split('\n')[0] ?? '')}`,
    '.SH SYNOPSIS',
    '.B rollout',
    '[\\fIoptions\\fR] [\\fIcommand\\fR] [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    '.nf',
    ...helpOf(program, 78).trimEnd().split('\n').map(roff),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const { path, cmd } of commandPaths(program)) {
    lines.push(`.SS "rollout ${path.join(' ')}"`, '.nf', ...helpOf(cmd, 78).trimEnd().split('\n').map(roff), '.fi');
  }
  lines.push(
    '.SH EXIT STATUS',
    '.TP', '.B 0', 'success',
    '.TP', '.B 1', 'a step, smoke test or gate failed, or a rollback that could not be verified',
    '.TP', '.B 2', 'bad usage, invalid config or invalid input',
    '.TP', '.B 3', 'refused for safety (integrity check failed, lock held by another rollout, confirmation missing, a file that init would overwrite)',
    '.TP', '.B 4', 'inconclusive: a monitor window ended without enough data to judge a gate',
    '.SH ENVIRONMENT',
    '.TP', '.B NO_COLOR', 'no colour in the output',
    '.TP', '.B SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL, DISCORD_WEBHOOK_URL, EMAIL_TO, SMTP_*', 'notification channels; never written to a log, a file or the screen',
    '.TP', '.B ROLLOUT_OPERATOR', 'the operator name recorded in the audit log',
    '.SH FILES',
    'All files live in the workspace: the folder holding \\fIquality\\-gates\\-config.json\\fR (found from the current folder upwards, or \\fB\\-\\-config\\fR).',
    '\\fBrollout init\\fR creates one.',
    '.TP', '.I runbooks/*.yaml', 'the steps, and how each environment is deployed, checked and measured',
    '.TP', '.I backups/dhash_<env>_<ts>.zip', 'SHA256\\-verified backups, each with its .sha256',
    '.TP', '.I logs/', 'JSON Lines audit logs (deploy, monitor, rollback, smoke_test, backup, migrate) and the embedded service\'s log, dhash_<env>_<ts>.log',
    '.TP', '.I incidents/INC\\-<ts>/', 'incident records written by rollbacks',
    '.SH SEE ALSO',
    'The README of the guarded\\-rollout package; \\fBrollout help\\fR \\fIcommand\\fR.',
  );
  return `${lines.join('\n')}\n`;
}
