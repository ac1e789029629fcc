// The golden set: named images that are generated, never downloaded, with their known dHash.
// The hashes are written down here (and checked by a test against the generator), so that a
// smoke test can compare what a running service computes against a value fixed in advance.
import { drawImage, prng, type GrayImage } from './dhash.js';

const TAU = Math.PI * 2;

/** The generators of the golden images, by name. */
export const GOLDEN_IMAGES: Record<string, () => GrayImage> = {
  checker: () => drawImage((x, y) => ((Math.floor(x * 6) + Math.floor(y * 5)) % 2 ? 220 : 30) + x * 20),
  gradient: () => drawImage((x, y) => 255 * (1 - x) * 0.8 + 40 * Math.sin(y * TAU)),
  rings: () => drawImage((x, y) => 128 + 120 * Math.cos(Math.hypot(x - 0.45, y - 0.55) * 28)),
  waves: () => drawImage((x, y) => 128 + 90 * Math.sin(x * TAU * 3 + y * 4) + 30 * Math.cos(y * TAU * 2)),
  blobs: () => {
    const r = prng(7);
    const centres = Array.from({ length: 6 }, () => ({ x: r(), y: r(), s: 0.05 + r() * 0.15, a: 80 + r() * 150 }));
    return drawImage((x, y) => 20 + centres.reduce((v, c) => v + c.a * Math.exp(-((x - c.x) ** 2 + (y - c.y) ** 2) / (2 * c.s * c.s)), 0));
  },
};

/** The known dHash (16 hex digits) of each golden image. */
export const GOLDEN_HASHES: Record<string, string> = {
  checker: '2424db2424db0024',
  gradient: 'ffffffffffffffff',
  rings: '8c72cdb5aab5cd32',
  waves: 'db9292b6b6b62424',
  blobs: 'fcffcf3f3b2f273e',
};
