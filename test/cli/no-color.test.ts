// Given --no-color typed after the subcommand (or before it), when commander parses the line,
// then the command runs with colour off (NO_COLOR set for the libraries that read it, Ink among
// them): commander's optsWithGlobals let the program's default (colour on) override the
// subcommand's --no-color.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

async function colourAfter(args: string[]): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-nocolor-'));
  vi.stubEnv('NO_COLOR', undefined);
  vi.stubEnv('FORCE_COLOR', undefined);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = process.exitCode;
  try {
    // A verify of a missing file: parsed and handed to its handler, which refuses at once.
    await main(['node', 'rollout', ...args.map((a) => a.replace('MISSING', join(dir, 'missing.zip')))]);
    return process.env.NO_COLOR;
  } finally {
    process.exitCode = code;
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('--no-color', () => {
  it('after the subcommand turns colour off', async () => {
    expect(await colourAfter(['verify', 'MISSING', '--no-color'])).toBe('1');
  });
  it('before the subcommand turns colour off', async () => {
    expect(await colourAfter(['--no-color', 'verify', 'MISSING'])).toBe('1');
  });
  it('absent leaves colour on', async () => {
    expect(await colourAfter(['verify', 'MISSING'])).toBeUndefined();
  });
});
