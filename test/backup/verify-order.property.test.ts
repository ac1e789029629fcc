// Given crafted archives with a valid .sha256 (so only the entries' own checks can refuse them),
// when verify checks their entries on two threads (small deflated entries of a chunk claimed from
// a shared counter by the hashing thread and this one, the rest here, chunks hashed ahead), then
// the entry named is always the FIRST bad one in file order, whatever the chunk size, the mix of
// stored / deflated / chunk-spanning entries, the kind of damage, and whether the hashing thread
// dies mid-way; a good archive passes. 0 and 1 entries, chunk-size boundaries and entries streamed
// through zlib (over 1 MiB) included.
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { verifyBackup } from '../../src/backup/verify.js';
import { inlineHasher, threadHasher, type ArchiveHasher } from '../../src/backup/thread-hash.js';
import { RefusedError } from '../../src/domain/errors.js';
import { makeWorkspace } from '../helpers/cli.js';
import { packedArchive, wsOf, type PackedFile } from './fixtures.js';

let ws: { root: string; cleanup: () => void };
beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(() => ws.cleanup());

const base = 'deployments/staging/releases';
type Damage = 'crc' | 'short' | 'long' | 'cut' | 'garbage';
interface Spec {
  size: number;
  /** Incompressible bytes (deflate makes them larger: spans chunks more often). */
  noise: boolean;
  store: boolean;
  damage: Damage | undefined;
}

function body(i: number, s: Spec): Buffer {
  if (s.noise) {
    const parts: Buffer[] = [];
    for (let k = 0; k * 64 < s.size; k++) parts.push(createHash('sha512').update(`${i}/${k}`).digest());
    return Buffer.concat(parts).subarray(0, s.size);
  }
  return Buffer.from(`export const v${i} = ${i};\n`.repeat(1 + Math.floor(s.size / 24))).subarray(0, s.size);
}

/** An archive of the files `specs` (damaged as each says), its manifest and a valid .sha256. */
async function archive(specs: Spec[]): Promise<string> {
  const files: PackedFile[] = [];
  for (const [i, s] of specs.entries()) {
    const data = body(i, s);
    let crc = crc32(data);
    let size = data.length;
    let packed: Buffer = s.store ? data : deflateRawSync(data);
    switch (s.store ? (s.damage && 'crc') : s.damage) {
      case 'crc': crc = (crc ^ 0x5a5a) >>> 0; break;
      case 'short': size = Math.max(0, size - 1); break; // inflates to more than declared
      case 'long': size += 1; break; // inflates to fewer
      case 'cut': packed = packed.subarray(0, Math.max(0, packed.length - 3)); break;
      case 'garbage': packed = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), packed]); break;
      default: break;
    }
    // (the manifest records `size` zero bytes: only the archive's own checks matter here)
    files.push({ name: `${base}/f${i}.js`, data: Buffer.alloc(size), crc, size, body: packed, method: s.store ? 0 : 8 });
  }
  return packedArchive(ws.root, base, files);
}

/** A thread hasher over `count` buffers of `size` bytes whose thread is terminated at update number `dieAt` (never when undefined). */
function hasher(size: number, dieAt: number | undefined): () => ArchiveHasher {
  return () => {
    const h = threadHasher(3, size);
    let n = 0;
    return {
      ...h,
      get pending() {
        return h.pending;
      },
      async update(chunk, index, entries) {
        if (++n === dieAt) await h.worker.terminate();
        return h.update(chunk, index, entries);
      },
    };
  };
}

const spec: fc.Arbitrary<Spec> = fc.record({
  // Now and then one over 1 MiB: streamed through zlib here, between the small ones of its chunks.
  size: fc.oneof({ weight: 30, arbitrary: fc.oneof(fc.constantFrom(0, 1, 1023, 1024, 1025, 4096), fc.integer({ min: 0, max: 6000 })) }, { weight: 1, arbitrary: fc.integer({ min: 1024 * 1024 + 1, max: 1300 * 1024 }) }),
  noise: fc.boolean(),
  store: fc.boolean(),
  damage: fc.option(fc.constantFrom<Damage>('crc', 'short', 'long', 'cut', 'garbage'), { freq: 6, nil: undefined }),
});

describe('verify names the first bad entry in file order', () => {
  it('on generated archives, whichever thread checks it and whatever the chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(spec, { maxLength: 60 }),
        // Chunks at least as large as an entry collected whole (as verify's 4 MiB chunks are to its 1 MiB
        // small entries: such an entry spans at most two of the three rotating buffers); 0: inline hashing.
        fc.constantFrom(6144 + 64, 8192, 9000, 65536, 0),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        async (specs, chunk, dieAt) => {
          const p = await archive(specs);
          const make = chunk === 0 ? () => inlineHasher() : hasher(chunk, dieAt);
          // (stored entries get a changed CRC-32 for any damage; an empty file cannot be declared shorter)
          const first = specs.findIndex((s) => s.damage !== undefined && !(!s.store && s.damage === 'short' && s.size === 0));
          const r = await verifyBackup(p, { ws: wsOf(ws.root), hasher: make }).then(
            (ok) => ok,
            (e: unknown) => e as Error,
          );
          if (first === -1) {
            expect(r, r instanceof Error ? r.message : '').not.toBeInstanceOf(Error);
            return;
          }
          expect(r).toBeInstanceOf(RefusedError);
          const msg = (r as Error).message;
          expect(msg, JSON.stringify({ first, chunk, dieAt })).toContain(`"${base}/f${first}.js"`);
          expect(msg).not.toMatch(/does not match its \.sha256/);
        },
      ),
      { numRuns: 120 },
    );
  }, 240_000);
});
