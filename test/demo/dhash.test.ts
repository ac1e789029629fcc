// The dHash: known values for the golden set, and the properties matching relies on.
import { describe, expect, it } from 'vitest';
import { dhash, drawImage, hamming, hashHex, prng, resize } from '../../src/demo/dhash.js';
import { GOLDEN_HASHES, GOLDEN_IMAGES } from '../../src/demo/golden.js';
import { loadRunbook } from '../../src/config/runbook.js';

describe('dHash', () => {
  it('gives every golden image its written-down hash', () => {
    for (const [name, make] of Object.entries(GOLDEN_IMAGES)) expect(hashHex(dhash(make())), name).toBe(GOLDEN_HASHES[name]);
    expect(Object.keys(GOLDEN_HASHES).sort()).toEqual(Object.keys(GOLDEN_IMAGES).sort());
  });

  it('is what the shipped runbooks expect: the smoke test reads the value from the runbook, not from here', () => {
    const files = ['runbooks/dhash.yaml', 'runbooks/examples/systemd/dhash.yaml', 'runbooks/examples/ansible/dhash.yaml'];
    let checked = 0;
    for (const f of files) {
      for (const [env, e] of Object.entries(loadRunbook(f).environments)) {
        for (const c of e.smoke.filter((x) => x.kind === 'dhash-golden')) {
          const name = new URL(c.url ?? '').searchParams.get('golden') ?? '';
          expect(c.expect_hash, `${f} ${env} ${c.id}`).toBe(GOLDEN_HASHES[name]);
          checked++;
        }
      }
    }
    expect(checked).toBe(5);
  });

  it('sets a bit where a pixel is brighter than its right-hand neighbour', () => {
    // Brightness falling left to right: every comparison is "brighter", all 64 bits set.
    expect(hashHex(dhash(drawImage((x) => 255 - x * 255)))).toBe('ffffffffffffffff');
    // Rising: none set.
    expect(hashHex(dhash(drawImage((x) => x * 255)))).toBe('0000000000000000');
  });

  it('averages whole blocks when shrinking to 9x8', () => {
    const img = drawImage((x) => (x < 0.5 ? 0 : 200));
    const small = resize(img, 9, 8);
    expect(small.length).toBe(72);
    expect(small[0]).toBe(0);
    expect(small[8]).toBe(200);
  });

  it('keeps a lightly noisy copy close and different images far apart', () => {
    const r = prng(3);
    const base = GOLDEN_IMAGES.rings!();
    const noisy = { ...base, pixels: base.pixels.map((v) => Math.max(0, Math.min(255, v + Math.round((r() - 0.5) * 10)))) };
    expect(hamming(dhash(base), dhash(noisy))).toBeLessThanOrEqual(5);
    const names = Object.keys(GOLDEN_IMAGES);
    for (const a of names) for (const b of names) if (a < b) expect(hamming(dhash(GOLDEN_IMAGES[a]!()), dhash(GOLDEN_IMAGES[b]!())), `${a}/${b}`).toBeGreaterThan(12);
  });

  it('refuses an image that is not one', () => {
    expect(() => dhash({ width: 9, height: 8, pixels: new Uint8Array(10) })).toThrow(/not a valid image/);
  });

  it('counts differing bits', () => {
    expect(hamming(0n, 0xffn)).toBe(8);
    expect(hamming(0xf0f0n, 0xf0f0n)).toBe(0);
  });
});
