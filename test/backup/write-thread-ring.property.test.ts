// Given the file-creating thread's ring of shared batch buffers (reused in turn once the thread
// counted their batch done; a batch larger than a slot, or finding its slot still busy, gets a
// buffer of its own), when generated runs of files (sizes around the batch size and the 64-file
// limit, empty files, one larger than a slot) are put with the caller's buffer scribbled on right
// after each put, then every file holds exactly its bytes: no slot was refilled while the thread
// still wrote from it. (Checked with the ring cut to 3 slots: the free check alone kept the files
// whole, and without it this test failed on its first few runs.) Real files, a real thread.
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { threadWriter } from '../../src/backup/write-thread.js';

const KiB = 1024;

describe("the writer thread's ring of batch buffers", () => {
  it('never hands a slot out again before the thread wrote its batch (generated runs)', async () => {
    const size = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 * KiB }) },
      { weight: 4, arbitrary: fc.constantFrom(0, 1, 256 * KiB - 1, 256 * KiB, 256 * KiB + 1, 128 * KiB) },
      { weight: 1, arbitrary: fc.integer({ min: 4 * KiB, max: 300 * KiB }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(size, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 2 ** 31 }), async (sizes, lanes, seed) => {
        const dir = mkdtempSync(join(tmpdir(), 'rollout-ring-'));
        const w = threadWriter();
        try {
          const files = sizes.map((n, i) => {
            // Random bytes per file, so that bytes of another batch (or the scribble) show.
            const data = randomFillSync(Buffer.alloc(n));
            return { path: join(dir, `d${i % 7}`, `f${i}`), data };
          });
          // Several producers at once, as the restore's concurrent entries put.
          await Promise.all(
            Array.from({ length: lanes }, async (_, k) => {
              for (let i = k; i < files.length; i += lanes) {
                const f = files[i]!;
                const scratch = Buffer.from(f.data);
                await w.ready();
                w.put(f.path, 0o644, scratch);
                scratch.fill(0xee);
                // Sometimes give the thread a turn (a read the caller waits for).
                if ((i + seed) % 5 === 0) await new Promise((r) => setImmediate(r));
              }
            }),
          );
          await w.flush();
          for (const f of files) expect(readFileSync(f.path).equals(f.data), f.path).toBe(true);
        } finally {
          await w.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
