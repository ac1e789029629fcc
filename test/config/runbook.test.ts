// Given runbook files, when they are loaded, then the shipped ones validate and every mistake
// names the file and the line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbook, parseRunbook } from '../../src/config/runbook.js';
import { REPO } from '../helpers/cli.js';

function errorOf(text: string): string {
  try {
    parseRunbook(text, 'runbooks/x.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the runbook to be rejected');
}

const GOOD_ENV = `
environments:
  staging:
    target: { kind: local, port: 7412 }
    health: { kind: http, url: "http://127.0.0.1:7412/health" }
    metrics: { kind: http-json, url: "http://127.0.0.1:7412/metrics" }
`;

describe('runbooks', () => {
  it('loads the shipped dhash runbook with the seeds\' steps in order', () => {
    const rb = loadRunbook(join(REPO, 'runbooks/dhash.yaml'), 'runbooks/dhash.yaml');
    expect(rb.steps.map((s) => s.type)).toEqual(['checklist', 'backup', 'verify-backup', 'sign-off', 'migrate', 'deploy', 'smoke', 'monitor']);
    expect(Object.keys(rb.environments)).toEqual(['production', 'staging', 'development']);
    const checklist = rb.steps[0]!;
    expect(checklist.type === 'checklist' && checklist.items.some((i) => i.check === 'manual')).toBe(true);
    expect(checklist.type === 'checklist' && checklist.items.some((i) => i.check === 'backup-present')).toBe(true);
  });

  it('loads the emergency-rollback runbook with the environments it extends', () => {
    const rb = loadRunbook(join(REPO, 'runbooks/emergency-rollback.yaml'), 'runbooks/emergency-rollback.yaml');
    expect(rb.kind).toBe('emergency-rollback');
    expect(rb.steps.map((s) => s.type)).toContain('rollback');
    expect(rb.environments.production?.production).toBe(true);
  });

  it('names file and line for an unknown step type', () => {
    expect(errorOf(`name: x\ntitle: X\nsteps:\n  - id: a\n    type: checklist\n    items: [{ id: i, label: L, check: manual }]\n  - id: b\n    type: deploi\n${GOOD_ENV}`)).toBe(
      'runbooks/x.yaml:8: steps[1].type: expected a step type: checklist, backup, verify-backup, sign-off, migrate, deploy, smoke, monitor, rollback, confirm or notify, got "deploi".',
    );
  });

  it('names file and line for a bad port', () => {
    const text = `name: x\ntitle: X\nsteps:\n  - { id: d, type: deploy }\nenvironments:\n  staging:\n    target: { kind: local, port: 80 }\n    health: { kind: http, url: "http://127.0.0.1:7412/health" }\n    metrics: { kind: http-json, url: "http://127.0.0.1:7412/metrics" }\n`;
    expect(errorOf(text)).toBe('runbooks/x.yaml:7: environments.staging.target.port: expected a port from 1024 to 65535, got 80.');
  });

  it('names file and line for an unknown key', () => {
    expect(errorOf(`name: x\ntitle: X\nsteps:\n  - { id: d, type: deploy, retries: 3 }\n${GOOD_ENV}`)).toBe('runbooks/x.yaml:4: steps[0].retries: unknown key "retries".');
  });

  it('names file and line for a YAML syntax error', () => {
    expect(errorOf('name: x\ntitle: X\nsteps:\n  - id: a\n   type: deploy\n')).toMatch(/^runbooks\/x\.yaml:5: not valid YAML \(.+\)\.$/);
  });

  it('refuses a dhash-golden smoke check without its expect_hash at load, naming the check', () => {
    const text = `name: x\ntitle: X\nsteps:\n  - { id: d, type: deploy }\nenvironments:\n  staging:\n    target: { kind: local, port: 7412 }\n    health: { kind: http, url: "http://127.0.0.1:7412/health" }\n    metrics: { kind: http-json, url: "http://127.0.0.1:7412/metrics" }\n    smoke:\n      - { id: golden-hash, kind: dhash-golden, url: "http://127.0.0.1:7412/hash?golden=checker" }\n`;
    expect(errorOf(text)).toBe(
      'runbooks/x.yaml:11: environments.staging.smoke[0].expect_hash: expected the dHash its image must have, which a dhash-golden check needs (16 hex digits; the shipped runbooks/dhash.yaml has the embedded demo\'s value), got nothing.',
    );
    // The control: the same runbook with the value loads.
    const fixed = text.replace('golden=checker" }', 'golden=checker", expect_hash: "2424db2424db0024" }');
    expect(parseRunbook(fixed, 'runbooks/x.yaml').environments?.staging?.smoke[0]?.expect_hash).toBe('2424db2424db0024');
  });

  it('refuses a step id used twice, naming its line', () => {
    expect(errorOf(`name: x\ntitle: X\nsteps:\n  - { id: d, type: deploy }\n  - { id: d, type: smoke }\n${GOOD_ENV}`)).toBe('runbooks/x.yaml:5: steps[1].id: step id "d" is used twice.');
  });

  it('refuses a runbook with no environments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-'));
    writeFileSync(join(dir, 'x.yaml'), 'name: x\ntitle: X\nsteps:\n  - { id: d, type: deploy }\n');
    expect(() => loadRunbook(join(dir, 'x.yaml'), 'runbooks/x.yaml')).toThrow('runbooks/x.yaml: the runbook defines no environments (add "environments:" or "extends:").');
  });
});
