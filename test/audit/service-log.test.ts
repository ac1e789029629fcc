// Given the embedded service's human log (logs/dhash_<env>_<ts>.log), when logging validation
// scans a workspace, then its text lines with upper-case levels pass, a line without a level is
// named, and a secret in it is found as in any other log; a JSON audit log is still held to JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateLogging } from '../../src/audit/validate-logging.js';
import { humanLine, isServiceLogName, SERVICE_LOG_LINE, serviceLogPath } from '../../src/domain/service-log.js';

let root: string;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function ws(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'rollout-svclog-'));
  mkdirSync(join(root, 'logs'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'logs', name), text);
  return root;
}

describe('the service log', () => {
  it('is named dhash_<env>_<UTC stamp>.log and written with upper-case levels', () => {
    expect(serviceLogPath('logs', 'production', Date.UTC(2026, 10, 30, 22, 5, 9))).toBe(join('logs', 'dhash_production_20261130_220509.log'));
    expect(isServiceLogName('dhash_production_20261130_220509.log')).toBe(true);
    expect(isServiceLogName('deploy_production_20261130_220509.log')).toBe(false);
    const line = humanLine('2026-11-30T22:05:09.000Z', 'ERROR', 'dhash production pid=7', 'extraction failures', { level: 'ERROR', failed: 12, of: 150, note: 'two words' });
    expect(line).toBe('2026-11-30T22:05:09.000Z ERROR    dhash production pid=7: extraction failures failed=12 of=150 note="two words"\n');
    expect(SERVICE_LOG_LINE.test(line.trimEnd())).toBe(true);
    expect(/(ERROR|CRITICAL)/.test(line)).toBe(true);
  });

  it('passes validation as text, names a line without a level, and finds a secret in it', async () => {
    const good = `${humanLine('2026-11-30T22:05:09.000Z', 'INFO', 'dhash staging pid=7', 'started', {})}${humanLine('2026-11-30T22:05:14.000Z', 'CRITICAL', 'dhash staging pid=7', 'health check failing', { reason: 'x' })}`;
    let r = await validateLogging(ws({ 'dhash_staging_20261130_220509.log': good }));
    expect(r.findings).toEqual([]);
    rmSync(root, { recursive: true, force: true });
    r = await validateLogging(ws({ 'dhash_staging_20261130_220509.log': `${good}half a line\n` }));
    expect(r.findings).toEqual([{ file: join('logs', 'dhash_staging_20261130_220509.log'), line: 3, problem: 'not a service log line (<ISO time> <LEVEL> …)' }]);
    rmSync(root, { recursive: true, force: true });
    r = await validateLogging(ws({ 'dhash_staging_20261130_220509.log': `${good}2026-11-30T22:05:15.000Z INFO     dhash staging pid=7: posting to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX\n` }));
    expect(r.findings.map((f) => f.problem)).toEqual([expect.stringMatching(/^unredacted secret/)]);
    rmSync(root, { recursive: true, force: true });
    // A JSON Lines audit log with a text line is still malformed.
    r = await validateLogging(ws({ 'deploy_staging_20261130_220509.log': good }));
    expect(r.findings.length).toBe(2);
  });
});
