import { afterEach, describe, expect, it } from 'vitest';
import { loadTui } from '../../src/cli/tui-loader.js';

describe('loadTui', () => {
  // loadTui clears CI for Ink; give the test process its own value back.
  const ci = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  afterEach(() => {
    for (const [k, v] of Object.entries(ci)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });

  it('hides the global fetch only while the screens load, then puts the same function back', async () => {
    const before = globalThis.fetch;
    expect(typeof before).toBe('function');
    let during: unknown = 'not called';
    const got = await loadTui(async () => {
      during = globalThis.fetch;
      return 42;
    });
    expect(got).toBe(42);
    expect(during).toBeUndefined();
    expect(globalThis.fetch).toBe(before);
  });

  it('puts fetch back when the import fails, and passes the failure on', async () => {
    const before = globalThis.fetch;
    await expect(loadTui(() => Promise.reject(new Error('no such module')))).rejects.toThrow('no such module');
    expect(globalThis.fetch).toBe(before);
  });

  it('loads the real Ink screens with fetch hidden (yoga decodes its wasm without it)', async () => {
    const mod = await loadTui(() => import('ink'));
    expect(typeof mod.render).toBe('function');
    expect(typeof globalThis.fetch).toBe('function');
  });
});
