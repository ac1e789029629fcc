// The zod schema of a runbook (runbooks/*.yaml): the steps of a guarded rollout and, per
// environment, how it is deployed, checked, measured and backed up.
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';

const str = (what = 'a string') => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}, not empty` });
// Bounded so that a typo (1e12) is refused with the range, not overflowed into a timer.
const ms = (what: string) => z.number({ error: `expected ${what} in milliseconds` }).gt(0, { error: `expected ${what} above 0 ms and at most 3600000 ms` }).max(3_600_000, { error: `expected ${what} above 0 ms and at most 3600000 ms` });
const id = z.string({ error: 'expected an id' }).regex(/^[a-z0-9][a-z0-9-_]*$/, { error: 'expected an id of lower-case letters, digits, "-" and "_"' });

/** An artifacts-checklist item: checked automatically, or confirmed by the operator. */
const ChecklistItem = z.strictObject({
  id,
  label: str('a label'),
  check: z.union([
    z.literal('manual'),
    z.literal('backup-present'),
    z.literal('backup-verified'),
    z.literal('config-valid'),
    z.strictObject({ path: str('a path relative to the workspace') }),
    z.strictObject({ glob: str('a glob relative to the workspace') }),
  ], { error: 'expected "manual", "backup-present", "backup-verified", "config-valid", {path: …} or {glob: …}' }),
  required: z.boolean({ error: 'expected true or false' }).default(true),
  fix: z.string({ error: 'expected a string' }).optional().describe('What the operator can do when the item is missing.'),
});

const StepBase = {
  id,
  title: z.string({ error: 'expected a string' }).optional(),
  optional: z.boolean({ error: 'expected true or false' }).default(false),
};

/** One step of a runbook; the type decides what it does and which view the TUI shows. */
export const RunbookStep = z.discriminatedUnion('type', [
  z.strictObject({ ...StepBase, type: z.literal('checklist'), items: z.array(ChecklistItem).min(1, { error: 'expected at least one item' }) }),
  z.strictObject({ ...StepBase, type: z.literal('backup') }),
  z.strictObject({ ...StepBase, type: z.literal('verify-backup') }),
  z.strictObject({ ...StepBase, type: z.literal('sign-off'), roles: z.array(str()).optional() }),
  z.strictObject({ ...StepBase, type: z.literal('migrate'), direction: z.enum(['forward', 'backward']).default('forward') }),
  z.strictObject({ ...StepBase, type: z.literal('deploy') }),
  z.strictObject({ ...StepBase, type: z.literal('smoke'), tier: z.enum(['critical', 'standard', 'all']).default('all'), phase: z.enum(['pre-deploy', 'post-deploy', 'post-rollback']).default('post-deploy') }),
  z.strictObject({ ...StepBase, type: z.literal('monitor') }),
  z.strictObject({ ...StepBase, type: z.literal('rollback') }),
  z.strictObject({ ...StepBase, type: z.literal('confirm'), prompt: str('a prompt') }),
  z.strictObject({ ...StepBase, type: z.literal('notify'), notification: str('a notification type'), message: str('a message') }),
], { error: 'expected a step type: checklist, backup, verify-backup, sign-off, migrate, deploy, smoke, monitor, rollback, confirm or notify' });
export type RunbookStep = z.infer<typeof RunbookStep>;

/** The embedded dhash service, run by this program on 127.0.0.1. */
const LocalTarget = z.strictObject({
  kind: z.literal('local'),
  port: z.number({ error: 'expected a port number' }).int({ error: 'expected a whole port number' }).min(1024, { error: 'expected a port from 1024 to 65535' }).max(65535, { error: 'expected a port from 1024 to 65535' }),
  releases: str('a folder of releases').default('releases').describe('Where the shipped releases are, relative to the workspace (falls back to the package).'),
  deploy_dir: z.string().optional().describe('Defaults to deployments/<env>.'),
  health_timeout_ms: ms('a health-wait timeout').default(20_000),
});

/**
 * A real installation driven by commands (run with zx). Template variables, filled in where known:
 * {version} the version being deployed, restarted or brought back; {from_version} the version
 * running before (deploy, rollback); {env} the environment; {backup} the workspace-relative backup
 * being restored (rollback only); {workspace} the workspace folder.
 */
const CommandTarget = z.strictObject({
  kind: z.literal('command'),
  deploy: str('a command').describe('Puts {version} in place (and usually starts it). Templates: {version}, {from_version}, {env}, {workspace}.'),
  rollback: z.string().optional().describe('Brings {version} (the backup\'s version) back after the backup\'s files were restored; required where a gate can auto-rollback. Templates: {version}, {from_version} (what runs now), {backup}, {env}, {workspace}.'),
  restart: z.string().optional().describe('Restarts the service; {version} is the version just deployed. Templates: {version}, {env}, {workspace}.'),
  status: z.string().optional().describe('Exit 0 when the service runs. Templates: {env}, {workspace}.'),
  stop: z.string().optional().describe('Templates: {env}, {workspace}.'),
  start: z.string().optional().describe('Templates: {env}, {workspace}.'),
  versions: z.string().optional().describe('A command printing the deployable versions, one a line.'),
  current_version: z.string().optional().describe('Prints what runs now, read from the target: the version first, then optionally an identity of the running instance (pid, start time, revision), or a JSON object {"version", "pid", "started_at", "revision"}. Templates: {env}, {workspace}.'),
  timeout_seconds: z.number({ error: 'expected a number of seconds' }).gt(0, { error: 'expected a number of seconds above 0 and at most 86400' }).max(86_400, { error: 'expected a number of seconds above 0 and at most 86400' }).default(300),
  cwd: z.string().optional(),
  health_timeout_ms: ms('a health-wait timeout').default(60_000).describe('How long a deploy waits for consecutive OK health checks.'),
});

/** One wave of a fleet rollout: how many hosts have the release once it is done (cumulative), and how long the gates watch it. */
const FleetWave = z.strictObject({
  name: id.optional().describe('Shown in the journal and the report (default: canary for a first wave of one host, else wave-N).'),
  hosts: z.number({ error: 'expected a number of hosts' }).int({ error: 'expected a whole number of hosts' }).min(1, { error: 'expected at least 1 host' }).max(100_000, { error: 'expected at most 100000 hosts' }).optional().describe('Hosts that run the release once this wave is done (counted from the first wave).'),
  percent: z.number({ error: 'expected a percentage' }).gt(0, { error: 'expected a percentage above 0 and at most 100' }).max(100, { error: 'expected a percentage above 0 and at most 100' }).optional().describe('Share of the group\'s hosts that run the release once this wave is done (rounded up).'),
  watch_minutes: z.number({ error: 'expected a number of minutes' }).min(0, { error: 'expected 0 or more minutes, at most 10080' }).max(10_080, { error: 'expected 0 or more minutes, at most 10080' }).default(0).describe('How long the gates watch the hosts so far before the next wave (fractions allowed; 0: one check).'),
}).refine((w) => (w.hosts === undefined) !== (w.percent === undefined), { error: 'expected exactly one of hosts or percent' });

/**
 * A fleet driven by ansible-playbook: the hosts of an inventory group get the release in waves
 * (`--limit`), each watched by the gates before the next. Host variables fill {name} templates in
 * `url` (each host's base URL: the health, metrics and smoke URLs keep their path on it).
 */
const AnsibleTarget = z.strictObject({
  kind: z.literal('ansible'),
  inventory: str('an inventory file relative to the workspace'),
  group: str('an inventory group').default('all'),
  deploy: str('a playbook relative to the workspace').describe('Run with --limit HOSTS -e version=V -e env=E -e workspace=W -e dhash_releases=DIR -e dhash_service=FILE -e dhash_node=NODE.'),
  rollback: z.string().optional().describe('Playbook that brings a host\'s previous version back (-e version=PREVIOUS); default: the deploy playbook.'),
  current_version: z.string().optional().describe('Command printing what runs on one host (the version first, or the JSON of /version); templates {host}, {url} and host variables. Default: GET {url}/version from the host.'),
  url: str('a URL template').default('http://{ansible_host}:{port}').describe('Each host\'s base URL from its inventory variables ({host} is the inventory name; ansible_host defaults to it).'),
  releases: str('a folder of releases').default('releases').describe('Where the releases are, relative to the workspace (falls back to the package).'),
  waves: z.array(FleetWave, { error: 'expected a list of waves' }).min(1, { error: 'expected at least one wave' }),
  baseline: z.strictObject({
    margin_percent: z.number({ error: 'expected a percentage' }).gt(0, { error: 'expected a percentage above 0 and at most 10000' }).max(10_000, { error: 'expected a percentage above 0 and at most 10000' }),
    gates: z.array(str('a gate name')).min(1).optional().describe('Gates compared (default: p95_hash_time and extraction_failure_rate).'),
  }).optional().describe('Also breach when the hosts with the release are worse than the hosts still on the old one by more than this margin.'),
  timeout_seconds: z.number({ error: 'expected a number of seconds' }).gt(0, { error: 'expected a number of seconds above 0 and at most 86400' }).max(86_400, { error: 'expected a number of seconds above 0 and at most 86400' }).default(600),
  health_timeout_ms: ms('a health-wait timeout').default(30_000).describe('How long a wave waits for each host\'s consecutive OK health checks.'),
});

const HttpHealth = z.strictObject({
  kind: z.literal('http'),
  url: z.url({ error: 'expected an http(s) URL' }),
  expect_status: z.number({ error: 'expected an HTTP status' }).int({ error: 'expected an HTTP status from 100 to 599' }).min(100, { error: 'expected an HTTP status from 100 to 599' }).max(599, { error: 'expected an HTTP status from 100 to 599' }).default(200),
  json_field: z.string().optional().describe('A field of the JSON body that must equal `expect`.'),
  expect: z.union([z.string(), z.number(), z.boolean()]).optional(),
  timeout_ms: ms('a timeout').default(2000),
  interval_ms: ms('an interval').optional().describe('Time between checks while waiting for a healthy service (default 150 ms for local targets, 1000 ms for command targets).'),
});
const CommandHealth = z.strictObject({ kind: z.literal('command'), command: str('a command'), timeout_ms: ms('a timeout').default(5000), interval_ms: ms('an interval').optional() });

const envName = z.string({ error: 'expected the name of an environment variable' }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected the name of an environment variable (letters, digits, "_"), not its value' });

/** How a metrics source authenticates and trusts its server: secrets come from environment variables only. */
const HttpAccess = {
  bearer_token_env: envName.optional().describe('Environment variable holding a bearer token (sent as Authorization: Bearer ...).'),
  basic_auth: z.strictObject({ username_env: envName, password_env: envName }).optional().describe('Environment variables holding the basic-auth user name and password.'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name' }), z.string({ error: 'expected a header value' })).optional().describe('Extra request headers (no secrets here: use bearer_token_env or basic_auth).'),
  ca_file: str('a path to a PEM CA bundle').optional().describe('PEM CA bundle to trust for https (relative to the workspace).'),
  insecure_skip_verify: z.boolean({ error: 'expected true or false' }).optional().describe('Do not verify the server certificate (warned on every start).'),
};

/** Query keys of the prometheus source: a gate's signal (or the known gate's name) and its observation count. */
export const PROM_QUERY_KEYS = [
  'extraction_failure_rate', 'extraction_failure_rate_observations',
  'hash_time_ms', 'hash_time_ms_observations', 'p95_hash_time', 'p95_hash_time_observations',
  'low_confidence_queue', 'cpu_percent', 'memory_percent', 'disk_used_percent',
] as const;

const MetricsSource = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('http-json'), url: z.url({ error: 'expected an http(s) URL' }), timeout_ms: ms('a timeout').default(3000), ...HttpAccess }),
  z.strictObject({ kind: z.literal('prometheus-text'), url: z.url({ error: 'expected an http(s) URL' }), timeout_ms: ms('a timeout').default(3000) }),
  z.strictObject({
    kind: z.literal('prometheus'),
    url: z.url({ error: 'expected the URL of a Prometheus server' }),
    selector: z.string({ error: 'expected a label selector such as \'{job="dhash", env="production"}\'' }).regex(/^\s*(\{.*\})?\s*$/s, { error: 'expected a label selector in braces, such as \'{job="dhash", env="production"}\'' }).optional().describe('Label selector that scopes every default query to this environment.'),
    queries: z.partialRecord(z.enum(PROM_QUERY_KEYS, { error: `expected a query key: ${PROM_QUERY_KEYS.join(', ')}` }), z.string({ error: 'expected a PromQL query' })).optional().describe('PromQL per gate, replacing the default; {selector}, {env}, {version}, {window} (the gate window, clamped to the time since the deploy) and {since_deploy} are filled in.'),
    timeout_ms: ms('a timeout').default(5000),
    ...HttpAccess,
  }),
  z.strictObject({ kind: z.literal('command'), command: str('a command'), timeout_ms: ms('a timeout').default(10_000) }),
], { error: 'expected a metrics kind: http-json, prometheus-text, prometheus or command' });

const SmokeCheck = z.strictObject({
  id,
  tier: z.enum(['critical', 'standard'], { error: 'expected "critical" or "standard"' }).default('standard'),
  phases: z.array(z.enum(['pre-deploy', 'post-deploy', 'post-rollback'])).optional().describe('Phases this check runs in (default: all).'),
  kind: z.enum(['http', 'dhash-golden', 'metrics', 'command'], { error: 'expected "http", "dhash-golden", "metrics" or "command"' }),
  url: z.url().optional(),
  expect_status: z.number().int().optional(),
  body_contains: z.string().optional(),
  format: z.enum(['json', 'prometheus']).optional(),
  command: z.string().optional(),
  expect_hash: z.string().regex(/^[0-9a-f]{16}$/, { error: 'expected 16 lower-case hex digits' }).optional().describe('dhash-golden: the dHash the image must have (required by that kind).'),
  timeout_ms: ms('a timeout').default(5000),
}).superRefine((c, ctx) => {
  // Refused at load, not at smoke time: a workspace written before the golden value moved into
  // the runbook would otherwise deploy and then fail its critical smoke check (and roll back).
  if (c.kind === 'dhash-golden' && c.expect_hash === undefined) {
    ctx.addIssue({ code: 'custom', path: ['expect_hash'], message: 'the dHash its image must have, which a dhash-golden check needs (16 hex digits; the shipped runbooks/dhash.yaml has the embedded demo\'s value)' });
  }
});

const EnvironmentRunbook = z.strictObject({
  description: z.string().optional(),
  production: z.boolean({ error: 'expected true or false' }).optional().describe('Treated as production: typed confirmations and --force/--yes required.'),
  target: z.discriminatedUnion('kind', [LocalTarget, CommandTarget, AnsibleTarget], { error: 'expected a target kind: local, command or ansible' }),
  default_version: z.string().optional(),
  health: z.discriminatedUnion('kind', [HttpHealth, CommandHealth], { error: 'expected a health kind: http or command' }),
  metrics: MetricsSource,
  smoke: z.array(SmokeCheck).default([]),
  backup: z.strictObject({
    include: z.array(str('a path relative to the workspace')).min(1).optional(),
    // Zip-bomb limits for verify and restore (defaults in src/backup/limits.ts).
    limits: z.strictObject({
      max_entries: z.number({ error: 'expected a number' }).int({ error: 'expected a whole number from 1 to 100000000' }).min(1, { error: 'expected a whole number from 1 to 100000000' }).max(1e8, { error: 'expected a whole number from 1 to 100000000' }).optional(),
      max_total_mb: z.number({ error: 'expected a number of MiB' }).gt(0, { error: 'expected a number of MiB above 0 and at most 67108864' }).max(67_108_864, { error: 'expected a number of MiB above 0 and at most 67108864' }).optional(),
      max_entry_mb: z.number({ error: 'expected a number of MiB' }).gt(0, { error: 'expected a number of MiB above 0 and at most 67108864' }).max(67_108_864, { error: 'expected a number of MiB above 0 and at most 67108864' }).optional(),
      max_ratio: z.number({ error: 'expected a ratio' }).gt(1, { error: 'expected a ratio above 1 and at most 1000000' }).max(1e6, { error: 'expected a ratio above 1 and at most 1000000' }).optional(),
    }).optional(),
  }).optional().describe('What a backup takes in (default for local targets: the deployed release, its config and migration state) and the limits a backup must respect.'),
  migrations: z.string().optional().describe('Folder of migrations, relative to the workspace.'),
});
export type EnvironmentRunbook = z.infer<typeof EnvironmentRunbook>;

/** A whole runbook file. */
export const Runbook = z.strictObject({
  name: id,
  title: str('a title'),
  description: z.string().optional(),
  kind: z.enum(['rollout', 'emergency-rollback'], { error: 'expected "rollout" or "emergency-rollback"' }).default('rollout'),
  extends: z.string().optional().describe('Take the environments of another runbook in the same folder (file name).'),
  steps: z.array(RunbookStep, { error: 'expected a list of steps' }).min(1, { error: 'expected at least one step' }),
  environments: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), EnvironmentRunbook).optional(),
});
export type Runbook = z.infer<typeof Runbook>;
export type RunbookInput = z.input<typeof Runbook>;
