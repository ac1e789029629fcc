// The systemd and Kubernetes examples (runbooks/examples/<kind>/) cannot run here (no systemd in
// the container, no cluster): each runbook is validated by `rollout validate-config` in a temp
// workspace (and refused without its rollback command), every command is rendered with its
// template variables and checked by the shell's parser, and the Kubernetes current_version
// jsonpath is evaluated by a real kubectl over a sample Deployment (kubectl --local, no cluster).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRunning } from '../../src/targets/command.js';
import { fillTemplate } from '../../src/shell/shell.js';
import { REPO, makeWorkspace, runCli } from '../helpers/cli.js';

const VARS = { version: '1.0.0', from_version: '1.2.0-failing', env: 'production', backup: 'backups/dhash_production_20261130_120000.zip', workspace: '/srv/rollout' };
type Target = Record<string, string | number>;
const targetOf = (kind: string): Target => (parse(readFileSync(join(REPO, 'runbooks/examples', kind, 'dhash.yaml'), 'utf8')) as { environments: Record<string, { target: Target }> }).environments.production!.target;
const render = (t: Target, key: string): string => fillTemplate(String(t[key]), VARS);

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe.each(['systemd', 'kubernetes'])('runbooks/examples/%s', (kind) => {
  it('is self-contained: a README, the runbook, and every file its commands name', () => {
    const dir = join(REPO, 'runbooks/examples', kind);
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'dhash.yaml']));
    const text = readFileSync(join(dir, 'dhash.yaml'), 'utf8');
    for (const m of text.matchAll(/runbooks\/examples\/([a-z]+)\/([\w.@-]+)/g)) {
      expect(m[1]).toBe(kind);
      expect(existsSync(join(dir, m[2]!)), m[0]).toBe(true);
    }
  });

  it('validates in a workspace, and without its rollback command is refused with the sentence (exit 2)', async () => {
    const ws = await makeWorkspace();
    cleanup = ws.cleanup;
    const text = readFileSync(join(REPO, 'runbooks/examples', kind, 'dhash.yaml'), 'utf8');
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), text);
    rmSync(join(ws.root, 'runbooks/emergency-rollback.yaml'));
    const ok = await runCli(['validate-config'], { cwd: ws.root });
    expect(ok.code, ok.stderr).toBe(0);
    writeFileSync(join(ws.root, 'runbooks/dhash.yaml'), text.replace(/^\s+rollback: .*\n/m, ''));
    const bad = await runCli(['validate-config'], { cwd: ws.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/runbooks\/dhash\.yaml: environment "production" has a command target without a rollback command \(environments\.production\.target\.rollback\), but its gates .* can auto-rollback; add target\.rollback, a command that brings \{version\} back/);
  }, 60_000);

  it('renders every command with its template variables filled in, each one valid shell', () => {
    const t = targetOf(kind);
    for (const key of ['deploy', 'rollback', 'restart', 'current_version', 'status']) {
      const cmd = render(t, key);
      expect(cmd, key).not.toMatch(/\{(version|from_version|env|backup|workspace)\}/);
      const r = spawnSync('sh', ['-n', '-c', cmd], { encoding: 'utf8' });
      expect(r.status, `${key}: ${cmd}\n${r.stderr}`).toBe(0);
    }
  });
});

describe('the systemd example says what it runs', () => {
  it('switches unit instances by version: rollback starts the backup\'s and stops the running one', () => {
    const t = targetOf('systemd');
    expect(render(t, 'rollback')).toBe('sudo ln -sfn releases/1.0.0 /opt/dhash/current && sudo systemctl stop dhash@1.2.0-failing.service && sudo systemctl start dhash@1.0.0.service');
    expect(render(t, 'restart')).toBe("sudo systemctl stop 'dhash@*.service' && sudo systemctl start dhash@1.0.0.service");
    const unit = readFileSync(join(REPO, 'runbooks/examples/systemd/dhash@.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/dhash\/dhash-service\.js --env production --port 7411 --dir \/opt\/dhash --config \S+ --root \/opt\/dhash$/m);
    // current_version prints "VERSION MAINPID STARTTIME": the version first, then the instance identity.
    expect(parseRunning('1.0.0 4242 123456789\n')).toEqual({ version: '1.0.0', identity: '4242 123456789' });
  });
});

describe('the Kubernetes example says what it runs', () => {
  it('deploys with kubectl set image + rollout status, rolls back with rollout undo --to-revision', () => {
    const t = targetOf('kubernetes');
    expect(render(t, 'deploy')).toBe('kubectl -n dhash set image deployment/dhash dhash=registry.example.com/dhash:1.0.0 && kubectl -n dhash rollout status deployment/dhash --timeout=300s');
    expect(render(t, 'rollback')).toBe('sh runbooks/examples/kubernetes/rollback-to-version.sh 1.0.0');
    const script = readFileSync(join(REPO, 'runbooks/examples/kubernetes/rollback-to-version.sh'), 'utf8');
    expect(script).toContain('kubectl -n "$ns" rollout undo deployment/dhash --to-revision="$rev"');
    expect(script).toContain('kubectl -n "$ns" rollout status deployment/dhash');
    expect(spawnSync('sh', ['-n', join(REPO, 'runbooks/examples/kubernetes/rollback-to-version.sh')]).status).toBe(0);
  });

  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasKubectl)('current_version\'s jsonpath, run by a real kubectl over a sample Deployment (no cluster), answers "1.0.0 <revision> <generation>"', async () => {
    const ws = await makeWorkspace();
    cleanup = ws.cleanup;
    writeFileSync(join(ws.root, 'deployment.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dhash
  namespace: dhash
  annotations: { deployment.kubernetes.io/revision: "5" }
spec:
  selector: { matchLabels: { app: dhash } }
  template:
    metadata: { labels: { app: dhash } }
    spec: { containers: [{ name: dhash, image: registry.example.com/dhash:1.2.0-failing }] }
status: { observedGeneration: 7 }
`);
    // The same jsonpath and sed, over a local object: `set image --local` stands in for `get`.
    const cmd = render(targetOf('kubernetes'), 'current_version').replace('kubectl -n dhash get deployment/dhash', 'kubectl set image --local -f deployment.yaml dhash=registry.example.com/dhash:1.0.0');
    const out = execFileSync('sh', ['-c', cmd], { cwd: ws.root, encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('1.0.0 5 7');
    expect(parseRunning(out)).toEqual({ version: '1.0.0', identity: '5 7' });
  }, 60_000);
});
