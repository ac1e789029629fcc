// Incident records: every rollback (automatic or manual) opens incidents/INC-<YYYYMMDD-HHMMSS>/
// holding the rollout's logs, a copy of quality-gates-config.json, incident.json (the facts) and
// report.md (a timeline from the journals, with sections for the humans to fill in).
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Workspace } from '../config/workspace.js';
import { UsageError } from '../domain/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../domain/fs-atomic.js';
import { incidentStamp } from '../domain/time.js';
import { redact } from '../audit/redact.js';

/** What tripped, or who asked. */
export interface IncidentTrigger {
  kind: 'auto' | 'manual';
  gate?: string;
  value?: number | null;
  threshold?: number;
  unit?: string;
  window_minutes?: number;
  operator?: string;
  reason?: string;
}

/** incident.json. */
export interface IncidentRecord {
  id: string;
  env: string;
  status: 'open' | 'closed';
  opened_at: string;
  trigger: IncidentTrigger;
  /** When the breach was detected (auto) or the rollback requested (manual). */
  detected_at: string;
  /** When the third consecutive OK health check after the restore passed. */
  healthy_at?: string;
  rollback_ok: boolean;
  /** rolled-back: verified by the running version, health and smoke; rollback-failed: not. */
  outcome?: 'rolled-back' | 'rollback-failed';
  backup?: string;
  /** The version the backup holds (what should run). */
  backup_version?: string;
  version_before?: string;
  /** What the target itself reported running after the rollback. */
  version_after?: string;
  /** The loud sentence of a failed rollback. */
  error?: string;
  /** Finished by a resumed monitor after the first run was interrupted. */
  resumed?: boolean;
  smoke_ok?: boolean;
  /** A fleet rollout: the wave that tripped, and each host that got the release, as verified after its rollback. */
  wave?: string;
  hosts?: { host: string; rolled_back_to: string | null; running: string | null; ok: boolean; detail: string }[];
  /** A fleet rollout: hosts of later waves, which never got the release and were not touched. */
  untouched_hosts?: string[];
  logs: string[];
  false_positive?: boolean;
  note?: string;
  closed_at?: string;
  closed_by?: string;
}

/** What a rollback hands over to open an incident. */
export type NewIncident = Omit<IncidentRecord, 'id' | 'status' | 'opened_at' | 'logs'> & { logs: string[]; now?: number };

/** Open an incident folder: copies the logs and the config, writes incident.json and report.md. */
export async function openIncident(ws: Workspace, inc: NewIncident): Promise<IncidentRecord> {
  const now = inc.now ?? Date.now();
  mkdirSync(ws.incidentsDir, { recursive: true });
  let id = `INC-${incidentStamp(now)}`;
  // Two rollbacks in one second (two environments) must not share a folder.
  for (let n = 2; ; n++) {
    try {
      mkdirSync(join(ws.incidentsDir, id));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      id = `INC-${incidentStamp(now)}-${n}`;
    }
  }
  const dir = join(ws.incidentsDir, id);
  mkdirSync(join(dir, 'logs'));
  const copied: string[] = [];
  for (const log of inc.logs) {
    if (!existsSync(log)) continue;
    const name = basename(log);
    copyFileSync(log, join(dir, 'logs', name));
    copied.push(`logs/${name}`);
  }
  if (existsSync(ws.configPath)) copyFileSync(ws.configPath, join(dir, 'quality-gates-config.json'));
  const { now: _now, ...facts } = inc;
  const record: IncidentRecord = redact({ ...facts, id, status: 'open', opened_at: new Date(now).toISOString(), logs: copied });
  writeJsonAtomic(join(dir, 'incident.json'), record);
  await writeIncidentReport(ws, id);
  return record;
}

/** Rewrite an incident's facts (a resumed rollback finishing what its interrupted run began); logs are added. */
export async function updateIncident(ws: Workspace, id: string, inc: Omit<NewIncident, 'now'>): Promise<IncidentRecord> {
  const r = readIncident(ws, id);
  const dir = join(ws.incidentsDir, id);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logs = new Set(r.logs);
  for (const log of inc.logs) {
    if (!existsSync(log)) continue;
    copyFileSync(log, join(dir, 'logs', basename(log)));
    logs.add(`logs/${basename(log)}`);
  }
  const record: IncidentRecord = redact({ ...r, ...inc, id, status: r.status, opened_at: r.opened_at, detected_at: r.detected_at, logs: [...logs] });
  writeJsonAtomic(join(dir, 'incident.json'), record);
  await writeIncidentReport(ws, id);
  return record;
}

/** The incident opened by a rollback whose journals include this log file (e.g. a monitor's), if any. */
export function incidentWithLog(ws: Workspace, env: string, logPath: string): IncidentRecord | undefined {
  const name = `logs/${basename(logPath)}`;
  return listIncidents(ws, env).find((r) => r.logs.includes(name));
}

/** The incident ids of a workspace, newest first. */
export function listIncidentIds(ws: Workspace): string[] {
  if (!existsSync(ws.incidentsDir)) return [];
  return readdirSync(ws.incidentsDir)
    .filter((d) => /^INC-\d{8}-\d{6}(-\d+)?$/.test(d) && existsSync(join(ws.incidentsDir, d, 'incident.json')))
    .sort()
    .reverse();
}

/** Read one incident, or a usage error naming the known ones. */
export function readIncident(ws: Workspace, id: string): IncidentRecord {
  const path = join(ws.incidentsDir, id, 'incident.json');
  if (!/^INC-\d{8}-\d{6}(-\d+)?$/.test(id) || !existsSync(path)) {
    const known = listIncidentIds(ws).slice(0, 5);
    throw new UsageError(`No incident "${id}" in incidents/${known.length ? `; the newest: ${known.join(', ')}` : ' (there are none)'}.`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as IncidentRecord;
}

/** All incidents (optionally of one environment), newest first. */
export function listIncidents(ws: Workspace, env?: string): IncidentRecord[] {
  return listIncidentIds(ws)
    .map((id) => readIncident(ws, id))
    .filter((r) => !env || r.env === env);
}

/** Close an incident, optionally as a false positive, with a note; the report is rewritten. */
export async function closeIncident(ws: Workspace, id: string, opts: { falsePositive?: boolean; note?: string; by: string; now?: number }): Promise<IncidentRecord> {
  const r = readIncident(ws, id);
  const next: IncidentRecord = redact({
    ...r,
    status: 'closed',
    closed_at: new Date(opts.now ?? Date.now()).toISOString(),
    closed_by: opts.by,
    false_positive: Boolean(opts.falsePositive),
    ...(opts.note ? { note: opts.note } : {}),
  });
  writeJsonAtomic(join(ws.incidentsDir, id, 'incident.json'), next);
  await writeIncidentReport(ws, id);
  return next;
}

/** One journal event, as read back. */
export interface JournalEvent {
  ts: string;
  level: string;
  event: string;
  file: string;
  fields: Record<string, unknown>;
}

/** Read every JSON Lines event of the given files (malformed lines are skipped), sorted by time. */
export async function readJournals(files: string[]): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for (const f of files) {
    if (!existsSync(f) || !statSync(f).isFile()) continue;
    const rl = createInterface({ input: createReadStream(f, 'utf8'), crlfDelay: Infinity });
    for await (const line of rl) {
      try {
        const e = JSON.parse(line) as Record<string, unknown>;
        if (typeof e.ts !== 'string' || typeof e.event !== 'string') continue;
        const { ts, level, event, env: _env, run_id: _run, ...fields } = e;
        out.push({ ts, level: String(level ?? 'info'), event, file: basename(f), fields });
      } catch {
        /* a malformed line is validate-logging's business, not the timeline's */
      }
    }
  }
  // ISO timestamps sort by their characters: localeCompare set up an ICU collator (~10-17 ms of a rollback's profile).
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

const BORING = new Set(['deploy.output', 'substep', 'debug']);

function short(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === 'string') return v.length > 60 ? `${v.slice(0, 57)}...` : v;
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describe(e: JournalEvent): string {
  if (Array.isArray(e.fields.decisions)) {
    // An evaluation: every gate's value and state at that poll.
    return (e.fields.decisions as { gate: string; value: number | null; unit?: string; status: string }[]).map((d) => `${d.gate}=${short(d.value)}${d.unit && d.unit !== 'consecutive' ? d.unit : ''} ${d.status}`).join(', ');
  }
  const keys = ['step', 'stage', 'status', 'gate', 'state', 'value', 'threshold', 'window_minutes', 'version', 'backup', 'check', 'ok', 'channel', 'message', 'reason', 'detail'];
  const parts = keys.filter((k) => e.fields[k] !== undefined).map((k) => `${k}=${short(e.fields[k])}`);
  return parts.join(' ');
}

/** The timeline as Markdown lines: every journal event but the chatty ones. */
export function timelineLines(events: JournalEvent[], around?: string): string[] {
  // Command output lines are in the copied logs; the timeline keeps to what happened.
  const keep = events.filter((e) => !BORING.has(e.event) && !/[._]output$/.test(e.event));
  // A monitor journal holds a sample per poll for up to an hour: keep the ten before the breach.
  const samples = keep.filter((e) => /sample|evaluat/.test(e.event));
  const cut = around ? samples.filter((e) => e.ts <= around).slice(-10).concat(samples.filter((e) => e.ts > around).slice(0, 3)) : samples.slice(-13);
  const keepSamples = new Set(cut);
  return keep
    .filter((e) => !/sample|evaluat/.test(e.event) || keepSamples.has(e))
    .map((e) => `| ${e.ts.slice(11, 19)} | ${e.file.replace(/_[a-z][a-z0-9-]*_\d{8}_\d{6}.*$/, '')} | ${e.level === 'info' ? '' : `${e.level.toUpperCase()} `}${e.event} | ${describe(e).replace(/\|/g, '/')} |`);
}

/** Write report.md of an incident from incident.json and the journals in its folder. */
export async function writeIncidentReport(ws: Workspace, id: string): Promise<string> {
  const r = readIncident(ws, id);
  const dir = join(ws.incidentsDir, id);
  const events = await readJournals(r.logs.map((l) => join(dir, l)));
  const t = r.trigger;
  const cause =
    t.kind === 'auto'
      ? `Automatic rollback: gate **${t.gate ?? '?'}** read ${short(t.value)}${t.unit && t.unit !== 'consecutive' ? ` ${t.unit}` : ''} against a threshold of ${t.threshold ?? '?'}${t.window_minutes !== undefined ? ` over ${t.window_minutes} min` : ''}.`
      : `Manual rollback requested by ${t.operator ?? 'an operator'}${t.reason ? `: ${t.reason}` : ''}.`;
  const mttr = r.healthy_at ? `${((Date.parse(r.healthy_at) - Date.parse(r.detected_at)) / 1000).toFixed(1)} s (detected ${r.detected_at}, third OK health check ${r.healthy_at})` : 'not reached: the service did not pass three consecutive health checks';
  const md = [
    `# ${r.id}: ${r.env} rollback${r.rollback_ok ? '' : ' (ROLLBACK FAILED)'}`,
    ...(r.error ? ['', `**${r.error}**`] : []),
    '',
    `- Status: ${r.status}${r.status === 'closed' ? ` (${r.closed_at} by ${r.closed_by}${r.false_positive ? ', **false positive**' : ''})` : ''}`,
    `- Environment: ${r.env}`,
    `- Trigger: ${cause}`,
    `- Versions: ${r.version_before ?? '?'} → ${r.version_after ?? '?'} (read from the target after the rollback)${r.backup ? `; restored from ${r.backup}${r.backup_version ? ` (version ${r.backup_version})` : ''}` : ''}`,
    `- Rollback: ${r.rollback_ok ? 'completed, verified by the running version' : 'FAILED (rollback-failed)'}${r.resumed ? ', finished by a resumed monitor' : ''}; smoke after rollback: ${r.smoke_ok === undefined ? 'not run' : r.smoke_ok ? 'passed' : 'FAILED'}`,
    `- Time to recovery: ${mttr}`,
    ...(r.hosts ? [`- Fleet: wave ${r.wave ?? '?'} tripped; rolled back ${r.hosts.map((h) => `${h.host} (${h.ok ? `runs ${h.running}` : `FAILED: ${h.running ?? 'nothing'} runs`})`).join(', ')}${r.untouched_hosts?.length ? `; never got the release: ${r.untouched_hosts.join(', ')}` : ''}`] : []),
    ...(r.note ? [`- Note: ${r.note}`] : []),
    '',
    '## Timeline (UTC)',
    '',
    '| time | journal | event | details |',
    '| --- | --- | --- | --- |',
    ...timelineLines(events, r.detected_at),
    '',
    '## Root cause',
    '',
    '_To be filled in: what in the release or the environment caused the breach._',
    '',
    '## Preventive actions',
    '',
    '- [ ] _To be filled in: fixes, tests, gate tuning (see `rollout report` for baselines)._',
    '',
    `Files: ${r.logs.join(', ') || 'no logs'}, quality-gates-config.json (the config in force).`,
    '',
  ].join('\n');
  writeFileAtomic(join(dir, 'report.md'), md);
  return md;
}
