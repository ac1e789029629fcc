// The fleet target: the hosts of an Ansible inventory group, deployed and rolled back by
// ansible-playbook with --limit, each host's running version read from the host itself (its
// /version, or the runbook's current_version command). Ansible is the engine (inventory,
// parallelism, connections); the wave use case (src/usecases/fleet-deploy.ts) decides when and
// how far. Health, metrics and smoke URLs of the runbook keep their path on each host's `url`.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { redactString } from '../audit/redact.js';
import { ConfigError, ExternalError } from '../domain/errors.js';
import { serviceEntry } from '../demo/entry.js';
import { checkHealth, type HealthCheck } from '../probes/health.js';
import { fillTemplate, runCommand } from '../shell/shell.js';
import { shippedDir } from '../config/shipped.js';
import { parseRunning } from './command.js';
import type { RunningInstance } from './contract.js';

export type AnsibleTargetSpec = Extract<EnvironmentRunbook['target'], { kind: 'ansible' }>;

/** One host of the fleet, as the inventory gives it. */
export interface FleetHost {
  /** The inventory name (what --limit takes). */
  name: string;
  /** Its base URL (the runbook's `url` filled from its variables). */
  url: string;
  /** Its inventory variables (strings and numbers only: what templates can use). */
  vars: Record<string, string>;
}

/** One host's state as `rollout service status` shows it: read from the host. */
export interface HostStatus {
  host: string;
  version: string | null;
  running: boolean;
  pid: number | null;
  started_at: string | null;
  url: string;
  health: { ok: boolean; detail: string };
}

/** Quote one argument for a POSIX shell. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Fill {name} placeholders from a host's variables; an unknown one is a config error naming it. */
export function fillHostTemplate(template: string, host: string, vars: Record<string, string>, what: string): string {
  const values: Record<string, string> = { ansible_host: host, ...vars, host };
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, k: string) => {
    const v = Object.hasOwn(values, k) ? values[k] : undefined;
    if (v === undefined) throw new ConfigError(`The fleet's ${what} uses {${k}}, but host ${host} has no such inventory variable (it has ${Object.keys(values).sort().join(', ')}).`);
    return v;
  });
}

/** `url`'s path and query on the host's base URL (the runbook names one path for every host). */
export function onHost(url: string, base: string): string {
  const u = new URL(url);
  const b = new URL(base.endsWith('/') ? base : `${base}/`);
  return new URL(`${u.pathname.replace(/^\//, '')}${u.search}`, b).toString();
}

/** Every host of `group` in inventory order, following child groups (ansible-inventory --list JSON). */
export function groupHosts(inv: Record<string, { hosts?: string[]; children?: string[] }>, group: string, seen = new Set<string>()): string[] {
  if (seen.has(group)) return [];
  seen.add(group);
  const g = Object.hasOwn(inv, group) ? inv[group] : undefined;
  if (!g) return [];
  const out = [...(g.hosts ?? [])];
  for (const c of g.children ?? []) for (const h of groupHosts(inv, c, seen)) if (!out.includes(h)) out.push(h);
  return out;
}

/** The fleet of one environment. */
export class AnsibleFleet {
  constructor(
    private readonly root: string,
    private readonly env: string,
    readonly spec: AnsibleTargetSpec,
    private readonly runbook: EnvironmentRunbook,
  ) {}

  private path(rel: string): string {
    return isAbsolute(rel) ? rel : join(this.root, rel);
  }

  /** The hosts of the group, in inventory order (the order of the waves). */
  async hosts(): Promise<FleetHost[]> {
    const inv = this.path(this.spec.inventory);
    if (!existsSync(inv)) throw new ConfigError(`The ${this.env} fleet's inventory ${this.spec.inventory} does not exist (runbook: target.inventory).`);
    const r = await runCommand(`ansible-inventory -i ${shq(inv)} --list`, { cwd: this.root, timeoutMs: 60_000, env: { ANSIBLE_NOCOLOR: '1' } });
    if (r.exitCode === 127) throw new ExternalError('ansible-inventory is not installed (exit 127): a fleet needs Ansible on this machine (apt-get install ansible-core, or pip install ansible-core).', r.stderr);
    if (r.exitCode !== 0) throw new ExternalError(`ansible-inventory could not read ${this.spec.inventory} (exit ${r.exitCode ?? 'signal'}): ${redactString(`${r.stderr}${r.stdout}`.trim().split(/\r?\n/).pop() ?? '')}.`, r.stderr);
    let data: Record<string, { hosts?: string[]; children?: string[]; hostvars?: Record<string, Record<string, unknown>> }>;
    try {
      data = JSON.parse(r.stdout) as typeof data;
    } catch {
      throw new ExternalError(`ansible-inventory printed no JSON for ${this.spec.inventory}.`, r.stdout);
    }
    const names = groupHosts(data, this.spec.group);
    if (names.length === 0) throw new ConfigError(`The inventory ${this.spec.inventory} has no hosts in group "${this.spec.group}" (runbook: target.group).`);
    const hostvars = (data._meta?.hostvars ?? {}) as Record<string, Record<string, unknown>>;
    return names.map((name) => {
      const vars: Record<string, string> = {};
      for (const [k, v] of Object.entries(hostvars[name] ?? {})) if (typeof v === 'string' || typeof v === 'number') vars[k] = String(v);
      return { name, vars, url: fillHostTemplate(this.spec.url, name, vars, 'url (target.url)') };
    });
  }

  /** The environment's runbook section as one host sees it: health, metrics and smoke on its URL. */
  hostRunbook(h: FleetHost): EnvironmentRunbook {
    const rb = this.runbook;
    const cmd = (c: string): string => fillTemplate(c, { host: h.name, url: h.url, ...h.vars });
    const health: EnvironmentRunbook['health'] = rb.health.kind === 'http' ? { ...rb.health, url: onHost(rb.health.url, h.url) } : { ...rb.health, command: cmd(rb.health.command) };
    const m = rb.metrics;
    const metrics: EnvironmentRunbook['metrics'] = m.kind === 'http-json' || m.kind === 'prometheus-text' ? { ...m, url: onHost(m.url, h.url) } : m.kind === 'command' ? { ...m, command: cmd(m.command) } : m;
    const smoke = rb.smoke.map((s) => ({ ...s, ...(s.url ? { url: onHost(s.url, h.url) } : {}), ...(s.command ? { command: cmd(s.command) } : {}) }));
    return { ...rb, health, metrics, smoke };
  }

  /** What runs on one host, from the host (undefined when nothing answers). */
  async running(h: FleetHost): Promise<RunningInstance | undefined> {
    if (this.spec.current_version) {
      const command = fillHostTemplate(this.spec.current_version, h.name, { url: h.url, ...h.vars }, 'current_version');
      const r = await runCommand(command, { cwd: this.root, timeoutMs: 10_000 });
      return r.exitCode === 0 ? parseRunning(r.stdout) : undefined;
    }
    try {
      const res = await fetch(onHost('http://x/version', h.url), { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return undefined;
      return parseRunning((await res.text()).replace(/\s+/g, ' '));
    } catch {
      return undefined;
    }
  }

  /** One health check of one host. */
  health(h: FleetHost): Promise<HealthCheck> {
    return checkHealth(this.hostRunbook(h).health);
  }

  /** Every host's running version and health, read from the hosts (in parallel). */
  async status(hosts?: FleetHost[]): Promise<HostStatus[]> {
    const list = hosts ?? (await this.hosts());
    return Promise.all(
      list.map(async (h) => {
        const [run, health] = await Promise.all([this.running(h), this.health(h)]);
        return { host: h.name, version: run?.version ?? null, running: run !== undefined, pid: run?.pid ?? null, started_at: run?.startedAt ?? null, url: h.url, health: { ok: health.ok, detail: health.detail } };
      }),
    );
  }

  /** Where the release folders are (workspace first, then the package). */
  releasesDir(): string {
    const d = shippedDir(this.root, this.spec.releases);
    if (!d) throw new ConfigError(`No releases folder "${this.spec.releases}" in the workspace or the package (runbook: target.releases).`);
    return d;
  }

  /** The service program the playbook starts (DHASH_SERVICE overrides, as in the ansible example). */
  private serviceProgram(): string {
    const fromEnv = process.env.DHASH_SERVICE;
    if (fromEnv) return fromEnv;
    const e = serviceEntry();
    const js = e.args.find((a) => a.endsWith('.js'));
    if (!js) throw new ConfigError('The fleet playbook needs the built service program (dist/dhash-service.js): run `npm run build` in the package, or set DHASH_SERVICE.');
    return js;
  }

  /** The ansible-playbook command line for a playbook limited to `hosts`, with `version`. */
  playbookCommand(playbook: string, hosts: readonly FleetHost[], version: string): string {
    const vars: [string, string][] = [
      ['version', version],
      ['env', this.env],
      ['workspace', this.root],
      ['dhash_releases', this.releasesDir()],
      ['dhash_service', this.serviceProgram()],
      ['dhash_node', process.env.DHASH_NODE || process.execPath],
    ];
    const limit = hosts.map((h) => h.name).join(',');
    return ['ansible-playbook', '-i', shq(this.path(this.spec.inventory)), shq(this.path(playbook)), '--limit', shq(limit), ...vars.flatMap(([k, v]) => ['-e', shq(`${k}=${v}`)])].join(' ');
  }

  private async play(what: 'deploy' | 'rollback', playbook: string, hosts: readonly FleetHost[], version: string, onLine?: (line: string) => void): Promise<void> {
    if (hosts.length === 0) return;
    const command = this.playbookCommand(playbook, hosts, version);
    onLine?.(`$ ${command}`);
    const r = await runCommand(command, { cwd: this.root, timeoutMs: this.spec.timeout_seconds * 1000, env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' }, ...(onLine ? { onLine: (l) => { if (l.trim()) onLine(l); } } : {}) });
    if (r.timedOut) throw new ExternalError(`The ${what} playbook gave no result within ${this.spec.timeout_seconds} s on ${hosts.map((h) => h.name).join(', ')}.`, r.stdout + r.stderr);
    if (r.exitCode !== 0) {
      const failed = [...`${r.stdout}`.matchAll(/^(?:fatal|failed): \[([^\]]+)\]/gm)].map((m) => m[1]).filter(Boolean);
      throw new ExternalError(`The ${what} playbook failed with exit ${r.exitCode ?? 'signal'}${failed.length ? ` on ${[...new Set(failed)].join(', ')}` : ''} (hosts ${hosts.map((h) => h.name).join(', ')}, version ${version}).`, r.stdout + r.stderr);
    }
  }

  /** Deploy `version` to exactly these hosts (ansible-playbook --limit). */
  deploy(hosts: readonly FleetHost[], version: string, onLine?: (line: string) => void): Promise<void> {
    return this.play('deploy', this.spec.deploy, hosts, version, onLine);
  }

  /** Bring `version` back on exactly these hosts (the rollback playbook, default the deploy one). */
  rollback(hosts: readonly FleetHost[], version: string, onLine?: (line: string) => void): Promise<void> {
    return this.play('rollback', this.spec.rollback ?? this.spec.deploy, hosts, version, onLine);
  }
}
