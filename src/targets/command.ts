// The command target: a real installation driven by the runbook's commands (systemctl, kubectl,
// an ssh script, ...), run through the shell adapter with a timeout. `{version}`, `{from_version}`,
// `{env}`, `{backup}` and `{workspace}` are filled in where known (runbook-schema.ts says which
// command gets which); output goes line by line to the caller (the live tail and the log).
import { isAbsolute, join } from 'node:path';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { ExternalError, UsageError } from '../domain/errors.js';
import { redactString } from '../audit/redact.js';
import { checkHealth, type HealthSpec } from '../probes/health.js';
import { fillTemplate, runCommand, type CommandResult } from '../shell/shell.js';
import type { PlannedAction, RollbackTemplate, RunningInstance, ServiceStatus, Target } from './contract.js';

export type CommandTargetSpec = Extract<EnvironmentRunbook['target'], { kind: 'command' }>;

/** Values for a command's template variables. */
interface Vars {
  version?: string;
  fromVersion?: string;
  backup?: string;
}

/**
 * Read a current_version answer: a JSON object {"version", "pid", "started_at", "revision"}, or a
 * line "VERSION [IDENTITY...]" whose rest (pid, start time, revision) tells instances apart.
 */
export function parseRunning(stdout: string): RunningInstance | undefined {
  const line = stdout.trim().split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
  if (!line) return undefined;
  if (line.startsWith('{')) {
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      if (typeof j.version !== 'string' || !j.version) return undefined;
      const pid = Number(j.pid);
      return { version: j.version, ...(j.pid !== undefined && Number.isInteger(pid) ? { pid } : {}), ...(j.started_at !== undefined ? { startedAt: String(j.started_at) } : {}), ...(j.revision !== undefined ? { revision: String(j.revision) } : {}) };
    } catch {
      return undefined;
    }
  }
  const [version, ...rest] = line.split(/\s+/);
  if (!version) return undefined;
  return { version, ...(rest.length ? { identity: rest.join(' ') } : {}) };
}

/** A target whose every action is a runbook command. */
export class CommandTarget implements Target {
  readonly kind = 'command' as const;
  readonly url?: string;

  constructor(
    private readonly root: string,
    private readonly env: string,
    private readonly spec: CommandTargetSpec,
    private readonly health: HealthSpec,
    private readonly backupInclude: string[] = [],
  ) {
    if (health.kind === 'http') this.url = health.url;
  }

  private fill(cmd: string, v?: Vars): string {
    return fillTemplate(cmd, { env: this.env, workspace: this.root, ...(v?.version ? { version: v.version } : {}), ...(v?.fromVersion ? { from_version: v.fromVersion } : {}), ...(v?.backup ? { backup: v.backup } : {}) });
  }

  /** Run one of the runbook's commands; a non-zero exit or a timeout is an ExternalError. */
  private async run(what: string, cmd: string, vars?: Vars | string, onLine?: (line: string) => void): Promise<CommandResult> {
    const v: Vars | undefined = typeof vars === 'string' ? { version: vars } : vars;
    const version = v?.version;
    const command = this.fill(cmd, v);
    const cwd = this.spec.cwd ? (isAbsolute(this.spec.cwd) ? this.spec.cwd : join(this.root, this.spec.cwd)) : this.root;
    onLine?.(`$ ${command}`);
    const r = await runCommand(command, { cwd, timeoutMs: this.spec.timeout_seconds * 1000, env: { ROLLOUT_ENV: this.env, ...(version ? { ROLLOUT_VERSION: version } : {}) }, ...(onLine ? { onLine: (l) => onLine(l) } : {}) });
    if (r.timedOut) throw new ExternalError(`The ${what} command of the ${this.env} target gave no result within ${this.spec.timeout_seconds} s: ${redactString(command)}.`, r.stdout + r.stderr);
    if (r.exitCode !== 0) {
      const last = `${r.stderr}\n${r.stdout}`.trim().split(/\r?\n/).pop() ?? '';
      throw new ExternalError(`The ${what} command of the ${this.env} target failed with exit ${r.exitCode ?? 'signal'}${last ? ` (${redactString(last.slice(0, 160))})` : ''}: ${redactString(command)}.`, r.stdout + r.stderr);
    }
    return r;
  }

  /**
   * The status command answers when the target can be reached: a stopped service (systemctl's
   * exit 3) is reachable; a timeout, a missing command (127) or a failed ssh connection (255) is not.
   */
  async reachable(): Promise<void> {
    if (!this.spec.status) return;
    try {
      await this.run('status', this.spec.status);
    } catch (e) {
      if (!(e instanceof ExternalError)) throw e;
      if (/gave no result within|failed with exit (127|255|signal)\b/.test(e.message)) {
        throw new ExternalError(`The ${this.env} target cannot be reached (${e.message.replace(/\.$/, '')}); nothing was changed.`, e.output, ['Check the connection (ssh, VPN, the host) and the status command in the runbook, then deploy again.']);
      }
    }
  }

  async availableVersions(): Promise<string[]> {
    if (!this.spec.versions) return [];
    const r = await this.run('versions', this.spec.versions);
    return r.stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  }

  async currentVersion(): Promise<string | undefined> {
    return (await this.running())?.version;
  }

  /** The current_version command's answer (undefined when there is no such command, it fails or prints nothing). */
  async running(): Promise<RunningInstance | undefined> {
    if (!this.spec.current_version) return undefined;
    try {
      return parseRunning((await this.run('current_version', this.spec.current_version)).stdout);
    } catch {
      return undefined;
    }
  }

  async install(version: string, onLine?: (line: string) => void, fromVersion?: string): Promise<void> {
    await this.run('deploy', this.spec.deploy, { version, ...(fromVersion ? { fromVersion } : {}) }, onLine);
  }

  /** The runbook's rollback command; without one (validate-config refuses that where a gate can auto-rollback), a restart. */
  async rollbackTo(t: RollbackTemplate, onLine?: (line: string) => void): Promise<void> {
    if (this.spec.rollback) {
      await this.run('rollback', this.spec.rollback, { version: t.version, backup: t.backup, ...(t.fromVersion ? { fromVersion: t.fromVersion } : {}) }, onLine);
      return;
    }
    onLine?.('no rollback command in the runbook (target.rollback): restarting; the check by running version says whether that brought the backup\'s version back');
    await this.restart(onLine, t.version);
  }

  async restart(onLine?: (line: string) => void, version?: string): Promise<void> {
    if (this.spec.restart) await this.run('restart', this.spec.restart, version, onLine);
    else if (this.spec.stop && this.spec.start) {
      await this.run('stop', this.spec.stop, undefined, onLine);
      await this.run('start', this.spec.start, undefined, onLine);
    } else onLine?.('no restart command in the runbook: the deploy command is expected to restart the service');
  }

  async start(onLine?: (line: string) => void): Promise<void> {
    if (!this.spec.start) throw new UsageError(`The ${this.env} target has no start command in the runbook (target.start).`);
    await this.run('start', this.spec.start, undefined, onLine);
  }

  async stop(onLine?: (line: string) => void): Promise<void> {
    if (!this.spec.stop) throw new UsageError(`The ${this.env} target has no stop command in the runbook (target.stop).`);
    await this.run('stop', this.spec.stop, undefined, onLine);
  }

  async status(): Promise<ServiceStatus> {
    let running = true;
    let note: string | undefined;
    if (this.spec.status) {
      const command = this.fill(this.spec.status);
      const r = await runCommand(command, { cwd: this.root, timeoutMs: this.spec.timeout_seconds * 1000 });
      running = r.exitCode === 0;
      note = `${r.stdout}${r.stderr}`.trim().split(/\r?\n/)[0]?.slice(0, 200) || undefined;
    }
    const health = await checkHealth(this.health);
    const version = await this.currentVersion();
    const st: ServiceStatus = { running: this.spec.status ? running : health.ok, health: { ok: health.ok, detail: health.detail } };
    if (this.url) st.url = this.url;
    if (version) st.version = version;
    if (note) st.note = redactString(note);
    return st;
  }

  stateFiles(): string[] {
    return [...this.backupInclude];
  }

  plan(version: string): PlannedAction[] {
    const out: PlannedAction[] = [{ step: 'install', action: `run: ${redactString(this.fill(this.spec.deploy, { version }))}` }];
    if (this.spec.restart) out.push({ step: 'restart', action: `run: ${redactString(this.fill(this.spec.restart, { version }))}` });
    else if (this.spec.stop && this.spec.start) out.push({ step: 'restart', action: `run: ${redactString(this.fill(this.spec.stop))}` }, { step: 'restart', action: `run: ${redactString(this.fill(this.spec.start))}` });
    return out;
  }
}
