// The dHash itself: procedurally generated grayscale images, a box-filter resize to 9x8 and the
// adjacent-pixel comparison that gives 64 bits. Images are 72x64 so that the resize averages
// whole 8x8 blocks in integers: the same hash on every platform, which the golden set relies on.

export const IMAGE_WIDTH = 72;
export const IMAGE_HEIGHT = 64;

/** A grayscale image, row-major, one byte a pixel. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** A small deterministic PRNG (mulberry32), so generated images are reproducible from a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Make an image from a function of (x, y) in [0,1) returning a brightness in [0,255]. */
export function drawImage(fn: (x: number, y: number) => number, width = IMAGE_WIDTH, height = IMAGE_HEIGHT): GrayImage {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[y * width + x] = clampByte(fn(x / width, y / height));
  }
  return { width, height, pixels };
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Shrink an image to w x h by averaging blocks (integer maths when the sizes divide evenly). */
export function resize(img: GrayImage, w: number, h: number): Uint16Array {
  const out = new Uint16Array(w * h);
  for (let ty = 0; ty < h; ty++) {
    const y0 = Math.floor((ty * img.height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * img.height) / h));
    for (let tx = 0; tx < w; tx++) {
      const x0 = Math.floor((tx * img.width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * img.width) / w));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += img.pixels[y * img.width + x]!;
      out[ty * w + tx] = Math.floor(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return out;
}

/** The 64-bit difference hash: 1 where a pixel is brighter than its right-hand neighbour. */
export function dhash(img: GrayImage): bigint {
  if (img.pixels.length !== img.width * img.height || img.width < 9 || img.height < 8) throw new Error(`not a valid image (${img.width}x${img.height}, ${img.pixels.length} bytes)`);
  const small = resize(img, 9, 8);
  let h = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      h <<= 1n;
      if (small[y * 9 + x]! > small[y * 9 + x + 1]!) h |= 1n;
    }
  }
  return h;
}

/** A hash as 16 lower-case hex digits. */
export function hashHex(h: bigint): string {
  return h.toString(16).padStart(16, '0');
}

/** The number of differing bits between two hashes. */
export function hamming(a: bigint, b: bigint): number {
  let x = a ^ b;
  let n = 0;
  while (x) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}
