// `rollout init`: a new workspace in a folder — the config with its JSON schema, runbooks, the
// seeds' script wrappers, a .gitignore for what the tool writes, and a README stub. The files
// come from the installed package, so this works from any folder on a fresh machine.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CONFIG_FILE, packageRoot } from '../config/workspace.js';
import { RefusedError, StepFailedError, UsageError } from '../domain/errors.js';
import { writeFileAtomic } from '../domain/fs-atomic.js';

/** The examples init knows. */
export const INIT_EXAMPLES = ['local', 'ansible', 'systemd', 'kubernetes', 'fleet'] as const;
export type InitExample = (typeof INIT_EXAMPLES)[number];

/** The seeds' command names (scripts/<name>.sh|.ps1|.js in the package). */
export const SEED_SCRIPTS = ['deploy_dhash.sh', 'backup_dhash.sh', 'migrate_dhash.sh', 'rollback_dhash.sh', 'smoke_tests.sh', 'monitor_dhash.js', 'notify.js', 'validate_logging.js'] as const;

/** What init wrote. */
export interface InitResult {
  dir: string;
  example: InitExample;
  files: string[];
  overwritten: string[];
}

const GITIGNORE = `# Written by rollout at run time: keep out of version control.
/backups/*
!/backups/.gitkeep
/logs/*
!/logs/.gitkeep
/rollbacks/
/incidents/
/notifications/
/premerge_artifacts/
/deployments/
/fleet-hosts/
/config/
/migrations/*_migration_state.json
/.rollout/
/*-dryrun.log
`;

function readme(example: InitExample): string {
  return `# Guarded rollouts of dhash

A workspace of [guarded-rollout](https://www.npmjs.com/package/guarded-rollout), made by
\`rollout init --example ${example}\`.

| file | what it is |
| --- | --- |
| \`quality-gates-config.json\` | quality gates and the T+60 monitor per environment (\`rollout validate-config\` checks it) |
| \`runbooks/\` | the steps, and how each environment is deployed, checked and measured |
| \`scripts/\` | the operations guide's commands (\`./scripts/deploy_dhash.sh --env staging\`), each a thin wrapper over \`rollout\` |
| \`backups/\`, \`logs/\`, \`incidents/\`, … | written by rollout; kept out of git by \`.gitignore\` |

${
  example === 'local'
    ? `The runbook drives the embedded demo dhash service on 127.0.0.1 (ports 7411-7413), so everything
works at once: \`rollout\` opens the TUI; \`rollout deploy --env staging --version 1.1.0 --yes\` deploys;
\`rollout service stop --env staging\` ends the service. Point an environment at your real service by
editing its \`target\`, \`health\`, \`metrics\` and \`smoke\` sections in \`runbooks/dhash.yaml\`.`
    : example === 'fleet'
      ? `The runbook drives a fleet of four hosts of the embedded demo service on 127.0.0.1 (ports 7441-7444,
folders \`fleet-hosts/\`), deployed by ansible-playbook (ansible_connection=local) in waves: a canary of
one host, then 50 %, then 100 %, each watched by the gates. \`rollout deploy --env fleet --version 1.1.0 --yes
--auto-promote\` rolls out; \`rollout service status --env fleet\` reads every host. Needs ansible-playbook.`
    : `The runbook drives a ${example} target: edit the commands, hosts and URLs in \`runbooks/\` before the first deploy,
then check with \`rollout validate-config\` and \`rollout deploy --env staging --dry-run\`.`
}

Help: \`rollout help\`, \`rollout help deploy\`, \`man rollout\`.
`;
}

interface Planned {
  rel: string;
  data: string | Buffer;
  mode?: number;
}

function files(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, base));
    else if (e.isFile()) out.push(relative(base, p));
  }
  return out.sort();
}

/** Where an example's files are in the package, if this version ships it. */
export function exampleSource(pkg: string, example: InitExample): string | undefined {
  if (example === 'local') return undefined;
  const dir = join(pkg, 'runbooks', 'examples', example);
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : undefined;
}

function plan(pkg: string, example: InitExample): Planned[] {
  const read = (rel: string): Buffer => readFileSync(join(pkg, rel));
  const out: Planned[] = [
    { rel: CONFIG_FILE, data: read(CONFIG_FILE) },
    { rel: 'schemas/quality-gates-config.schema.json', data: read('schemas/quality-gates-config.schema.json') },
    { rel: '.gitignore', data: GITIGNORE },
    { rel: 'README.md', data: readme(example) },
    { rel: 'backups/.gitkeep', data: '' },
    { rel: 'logs/.gitkeep', data: '' },
  ];
  for (const s of SEED_SCRIPTS) {
    const twin = s.replace(/\.(sh|js)$/, '.ps1');
    out.push({ rel: `scripts/${s}`, data: read(`scripts/${s}`), mode: 0o755 }, { rel: `scripts/${twin}`, data: read(`scripts/${twin}`) });
  }
  out.push({ rel: 'scripts/rollout-path.sh', data: read('scripts/rollout-path.sh') }, { rel: 'scripts/rollout-path.ps1', data: read('scripts/rollout-path.ps1') }, { rel: 'scripts/rollout-path.mjs', data: read('scripts/rollout-path.mjs') });
  if (example === 'local') {
    out.push({ rel: 'runbooks/dhash.yaml', data: read('runbooks/dhash.yaml') });
  } else {
    const src = exampleSource(pkg, example);
    if (!src) throw new UsageError(`The ${example} example is not available in this version of guarded-rollout; use --example local (the embedded demo service) and edit runbooks/dhash.yaml.`);
    // The example keeps its place (its runbook names its files as runbooks/examples/<kind>/…),
    // and its runbook becomes the workspace's runbooks/dhash.yaml.
    for (const rel of files(src)) out.push({ rel: join('runbooks', 'examples', example, rel), data: readFileSync(join(src, rel)) });
    // An example with environments of its own (the fleet) ships its gates: they replace the default config.
    if (existsSync(join(src, CONFIG_FILE))) out[0] = { rel: CONFIG_FILE, data: readFileSync(join(src, CONFIG_FILE)) };
    if (!existsSync(join(src, 'dhash.yaml'))) throw new UsageError(`The ${example} example in this package has no dhash.yaml runbook; use --example local.`);
    out.push({ rel: 'runbooks/dhash.yaml', data: readFileSync(join(src, 'dhash.yaml')) });
  }
  out.push({ rel: 'runbooks/emergency-rollback.yaml', data: read('runbooks/emergency-rollback.yaml') });
  return out;
}

/** Write a new workspace into `dir`; refuses (exit 3) to overwrite any file unless `force`. */
export function initWorkspace(dir: string, opts: { example?: string; force?: boolean; pkg?: string } = {}): InitResult {
  const example = (opts.example ?? 'local') as InitExample;
  if (!INIT_EXAMPLES.includes(example)) throw new UsageError(`Unknown example "${opts.example}": choose one of ${INIT_EXAMPLES.join(', ')}.`);
  const root = resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new UsageError(`${dir} exists and is not a folder.`);
  const planned = plan(opts.pkg ?? packageRoot(), example);
  const existing = planned.filter((p) => existsSync(join(root, p.rel))).map((p) => p.rel.split('\\').join('/'));
  if (existing.length && !opts.force) {
    throw new RefusedError(`${join(dir, existing[0]!)} already exists${existing.length > 1 ? ` (and ${existing.length - 1} more of the files init writes)` : ''}, so init changed nothing; pass --force to overwrite them.`, [
      `rollout init ${dir} --force   # overwrites: ${existing.slice(0, 4).join(', ')}${existing.length > 4 ? ', …' : ''}`,
    ]);
  }
  for (const p of planned) {
    const target = join(root, p.rel);
    try {
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileAtomic(target, p.data, p.mode);
    } catch (e) {
      throw new StepFailedError(`Cannot write ${join(dir, p.rel)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the files before it in the list were written.`);
    }
  }
  return { dir: root, example, files: planned.map((p) => p.rel.split('\\').join('/')), overwritten: existing };
}
