// Given the top-level help recorded at build time (src/cli/top-help.ts), when it is printed at any
// terminal width, then it is byte for byte what commander prints for `rollout --help`; and the built
// entry's fast paths (--help, -h, --version) print what the parsed command line prints.
import { describe, expect, it } from 'vitest';
import { helpOf } from '../../src/cli/help-text.js';
import { buildProgram } from '../../src/cli/main.js';
import { topHelpLayout } from '../../src/cli/top-help-layout.js';
import { boxWrap, renderTopHelp } from '../../src/cli/top-help.js';
import { runCli } from '../helpers/cli.js';

describe('top-level help without commander', () => {
  const layout = topHelpLayout(buildProgram());

  it('is commander\'s help at every width from 1 to 250 columns', () => {
    // Widths below 40 and above the longest line are the edges of commander's wrapping rules.
    for (let w = 1; w <= 250; w++) expect(renderTopHelp(layout, w), `width ${w}`).toBe(helpOf(buildProgram(), w));
  });

  it('survives a JSON round trip (the build stores it as a string) and keeps no slot marker', () => {
    const back = JSON.parse(JSON.stringify(layout)) as typeof layout;
    const text = renderTopHelp(back, 80);
    expect(text).toBe(helpOf(buildProgram(), 80));
    expect(text).not.toContain('\u0000');
    expect(layout.slots.length).toBeGreaterThan(20); // every option and command is a slot
  });

  it('wraps like commander: kept line breaks, no wrapping under 40 columns, a long word on its own line', () => {
    expect(boxWrap('a b\nc', 40)).toBe('a b\nc');
    expect(boxWrap('x '.repeat(30).trim(), 39)).toBe('x '.repeat(30).trim());
    expect(boxWrap(`aa ${'b'.repeat(50)} cc`, 40)).toBe(`aa\n${'b'.repeat(50)}\ncc`);
  });

  it('the built entry prints for --help, -h and --version what the parsed command line prints', async () => {
    const viaCommander = await runCli(['help']);
    expect(viaCommander.code).toBe(0);
    for (const flag of ['--help', '-h']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(viaCommander.stdout);
    }
    const v = await runCli(['--version']);
    const json = await runCli(['--version', '--json']); // parsed by main.ts
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(`${(JSON.parse(json.stdout) as { version: string }).version}\n`);
    // Anything more than the one flag takes the parsed path (commander's errors and all).
    const bad = await runCli(['--help', '--nope']);
    expect(bad.stdout).toBe(viaCommander.stdout); // commander shows help first, as before
  });
});
