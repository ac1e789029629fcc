// The one waiting helper: it names what timed out and what it last saw, and tolerates a throwing
// read (a server still starting) only when told to.
import { describe, expect, it } from 'vitest';
import { truthy, waitUntil } from './frames.js';

describe('waitUntil', () => {
  it('with tolerateErrors, a read that throws is "not yet" until it answers', async () => {
    let n = 0;
    const v = await waitUntil(() => {
      if (++n < 4) throw new Error('ECONNREFUSED');
      return n;
    }, truthy, 'the server to answer', { tolerateErrors: true, intervalMs: 1 });
    expect(v).toBe(4);
  });

  it('without it, the first error ends the wait with that error', async () => {
    await expect(waitUntil(() => { throw new Error('ECONNREFUSED'); }, truthy, 'the server to answer')).rejects.toThrow('ECONNREFUSED');
  });

  it('a timeout names what was awaited and the last error or value seen', async () => {
    await expect(waitUntil(() => { throw new Error('ECONNREFUSED 127.0.0.1'); }, truthy, 'the server to answer', { ms: 30, tolerateErrors: true })).rejects.toThrow(/timed out after 30 ms waiting for the server to answer; last seen:\nan error: ECONNREFUSED 127\.0\.0\.1/);
    await expect(waitUntil(() => 3, (v) => v > 5, 'more than 5', { ms: 30 })).rejects.toThrow(/waiting for more than 5; last seen:\n3/);
  });
});
