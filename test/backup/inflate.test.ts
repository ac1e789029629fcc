// The reusable raw inflate (src/backup/inflate.ts): Node's zlib internals it reuses still behave
// as it expects; crafted streams (truncated, too long, lying sizes, garbage, empty, ending early,
// trailing bytes) are refused the same way by the reused handle and by the public-API fallback,
// and a bomb stops at declared + 1 bytes; any data round-trips against zlib.deflateRawSync.
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inflateReuseProblem, RawInflater, type InflateProblem } from '../../src/backup/inflate.js';

const text = Buffer.from('export function handler(req, res) { return res.json({ ok: true }); }\n'.repeat(300));
const packed = zlib.deflateRawSync(text);
const both = (): [string, RawInflater][] => [
  ['reused handle', new RawInflater(true)],
  ['inflateRawSync fallback', new RawInflater(false)],
];

function refused(inf: RawInflater, src: Uint8Array, declared: number): InflateProblem {
  const r = inf.inflate(src, declared);
  if (r.ok) throw new Error(`accepted ${r.data.length} bytes`);
  expect(r.message).toMatch(/\w/);
  return r.problem;
}

describe('RawInflater', () => {
  it("this Node's zlib still has the internals the inflater reuses, and they behave as expected", () => {
    expect(inflateReuseProblem(zlib)).toBeUndefined();
    const inf = new RawInflater(true);
    expect(inf.inflate(packed, text.length).ok).toBe(true);
    expect(inf.reuse).toBe(true);
  });

  it('falls back to inflateRawSync when the internals are missing', () => {
    // A zlib whose streams have no native handle (as after an upgrade that renamed it).
    const fake = { ...zlib, createInflateRaw: () => Object.assign(zlib.createInflateRaw(), { _handle: undefined }) } as typeof zlib;
    expect(inflateReuseProblem(fake)).toMatch(/lacks/);
    const inf = new RawInflater(true, fake);
    const r = inf.inflate(packed, text.length);
    expect(inf.reuse).toBe(false);
    expect(r.ok && r.data.equals(text)).toBe(true);
  });

  for (const [name, inf] of both()) {
    describe(name, () => {
      it('inflates exactly, with the CRC-32, and keeps working after every kind of refusal', () => {
        const ok = inf.inflate(packed, text.length);
        expect(ok.ok).toBe(true);
        if (!ok.ok) return;
        expect(ok.data.equals(text)).toBe(true);
        expect(ok.crc).toBe(zlib.crc32(text));
        // truncated: the input ends before the stream does (cut anywhere)
        for (const cut of [0, 1, 2, 10, packed.length >> 1, packed.length - 1]) expect(refused(inf, packed.subarray(0, cut), text.length)).toBe('truncated');
        // longer than declared (the size lies low): a bomb
        expect(refused(inf, packed, text.length - 1)).toBe('too-long');
        expect(refused(inf, packed, 0)).toBe('too-long');
        // shorter than declared (the size lies high): the stream ends early
        expect(refused(inf, packed, text.length + 1)).toBe('short');
        // bytes after the end of the deflate stream
        expect(refused(inf, Buffer.concat([packed, Buffer.from('tail')]), text.length)).toBe('trailing');
        // garbage
        expect(refused(inf, Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0xfb]), 100)).toBe('corrupt');
        // zero-length input is no deflate stream, not even of an empty file
        expect(refused(inf, Buffer.alloc(0), 0)).toBe('truncated');
        // ... while a real empty stream is an empty file
        const empty = inf.inflate(zlib.deflateRawSync(Buffer.alloc(0)), 0);
        expect(empty.ok && empty.data.length === 0 && empty.crc === 0).toBe(true);
        // Still correct after all that.
        const again = inf.inflate(packed, text.length);
        expect(again.ok && again.data.equals(text)).toBe(true);
        // The reused handle was never given up on the way (these refusals were its own).
        expect(inf.reuse).toBe(name === 'reused handle');
      });

      it('stops a bomb at declared + 1 bytes: the caller buffer past that is untouched', () => {
        const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
        const out = Buffer.alloc(4096 + 100, 0xaa);
        const r = inf.inflate(bomb, 4096, out);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problem).toBe('too-long');
        // The reused handle writes at most declared + 1 bytes; the fallback copies nothing on a refusal.
        expect(out.subarray(4097).every((b) => b === 0xaa)).toBe(true);
      });

      it('refuses a caller buffer without room for declared + 1 bytes, and sizes that are no size', () => {
        expect(() => inf.inflate(packed, text.length, Buffer.alloc(text.length))).toThrow(RangeError);
        expect(() => inf.inflate(packed, -1)).toThrow(RangeError);
        expect(() => inf.inflate(packed, Number.NaN)).toThrow(RangeError);
      });

      it('round-trips anything deflateRawSync makes, at any level, into the pool or a caller buffer', () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.integer({ min: 0, max: 9 }), fc.boolean(), (data, level, own) => {
            const src = zlib.deflateRawSync(data, { level });
            const out = own ? Buffer.alloc(data.length + 1) : undefined;
            const r = inf.inflate(src, data.length, out);
            expect(r.ok).toBe(true);
            if (!r.ok) return;
            expect(Buffer.compare(r.data, data)).toBe(0);
            expect(r.crc).toBe(zlib.crc32(data));
            if (out) expect(r.data.buffer).toBe(out.buffer);
          }),
          { numRuns: 150 },
        );
      });

      it('never accepts a damaged stream with the wrong bytes: flipped, cut or lengthened, it is refused or inflates to something whose CRC differs', () => {
        const data = Buffer.concat([text.subarray(0, 3000), randomBytes(500)]);
        const src = zlib.deflateRawSync(data);
        fc.assert(
          fc.property(fc.nat({ max: src.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: -3, max: 3 }), (at, xor, delta) => {
            const bad = Buffer.from(src);
            bad[at] = bad[at]! ^ xor;
            const r = inf.inflate(bad, data.length + delta);
            if (r.ok) {
              expect(r.data.length).toBe(data.length + delta);
              // The CRC-32 is of the bytes returned: deflate has no checksum of its own, so a flipped
              // literal can inflate, and the entry's CRC-32 is what catches it.
              expect(r.crc).toBe(zlib.crc32(r.data));
              if (delta === 0 && !r.data.equals(data)) expect(r.crc).not.toBe(zlib.crc32(data));
            } else expect(['truncated', 'too-long', 'short', 'trailing', 'corrupt']).toContain(r.problem);
          }),
          { numRuns: 300 },
        );
      });
    });
  }

  it('the reused handle and the fallback agree on every crafted input', () => {
    const [fast, slow] = [new RawInflater(true), new RawInflater(false)];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 40 }), fc.integer({ min: -2, max: 2 }), fc.uint8Array({ maxLength: 4 }), (data, cut, delta, tail) => {
        const src = zlib.deflateRawSync(data);
        const input = Buffer.concat([src.subarray(0, Math.max(0, src.length - cut)), cut === 0 ? Buffer.from(tail) : Buffer.alloc(0)]);
        const declared = Math.max(0, data.length + delta);
        const a = fast.inflate(input, declared);
        const b = slow.inflate(input, declared);
        const [pa, pb] = [a.ok ? 'ok' : a.problem, b.ok ? 'ok' : b.problem];
        // A stream both cut short and longer than declared: the handle stops at declared + 1 bytes
        // (too long) where inflateRawSync, which fills whole chunks, first runs out of input.
        if (!(pa === 'too-long' && pb === 'truncated')) expect(pa).toBe(pb);
        if (a.ok && b.ok) expect(a.data.equals(b.data)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
