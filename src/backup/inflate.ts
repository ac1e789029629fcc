// Raw inflate of many small zip entries on one reused zlib handle. zlib.inflateRawSync builds a
// zlib stream object (and its native state) per call: at 50k entries that set-up, and the garbage
// it leaves, was a third of verify's CPU profile. As src/backup/pack.ts does for deflate, one native
// handle is reset and reused for every entry, inflating straight into a pooled (or the caller's)
// buffer of the declared size + 1, so that a stream that would inflate past its declared size
// stops there (a bomb costs at most that buffer). Node's public API cannot do this; the internals
// relied on are checked by inflateReuseProblem() (test/backup/inflate.test.ts fails when an
// upgrade changes them) and, once per thread, by a self-test; without them every entry falls back
// to zlib.inflateRawSync with the same results (only `trailing` is then found a slower way).
import * as zlib from 'node:zlib';

/** Why an entry's compressed bytes were refused (the data is never returned then). */
export type InflateProblem =
  /** The deflate stream ends before its last block (the input ran out). */
  | 'truncated'
  /** It inflates to more than its declared size (inflating stopped at declared + 1 bytes). */
  | 'too-long'
  /** The stream ended with fewer bytes than declared. */
  | 'short'
  /** The stream ended before its compressed bytes did (bytes after the end of the deflate stream). */
  | 'trailing'
  /** zlib refused the data (invalid block type, distance too far back, ...). */
  | 'corrupt';

/** An inflated entry, or why not. `data` lives in the pooled buffer (see inflate) unless `out` was given. */
export type InflateResult = { ok: true; data: Buffer; crc: number } | { ok: false; problem: InflateProblem; message: string };

/** The Node 20 zlib internals reused: the stream's native handle and its [avail_out, avail_in] state. */
interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: (message: string, errno: number, code?: string) => void;
}
interface StreamInternals {
  _handle?: Partial<NativeHandle> | null;
  _writeState?: unknown;
  destroyed: boolean;
  close(): void;
  on(e: string, f: () => void): void;
}

/** What the native handle reported through onerror during the last writeSync. */
interface Handle {
  stream: StreamInternals;
  native: NativeHandle;
  state: Uint32Array;
  error: { message: string; code: string | undefined } | undefined;
}

/** A fresh raw-inflate handle whose errors are recorded instead of destroying its stream, or undefined when the internals are missing. */
function openHandle(z: typeof zlib): Handle | undefined {
  const s = z.createInflateRaw() as unknown as StreamInternals;
  // Nothing is ever emitted here once onerror is ours; this only keeps a stray one from being uncaught.
  s.on('error', () => undefined);
  const n = s._handle;
  if (!n || typeof n.writeSync !== 'function' || typeof n.reset !== 'function' || typeof n.onerror !== 'function' || !(s._writeState instanceof Uint32Array)) {
    s.close();
    return undefined;
  }
  const h: Handle = { stream: s, native: n as NativeHandle, state: s._writeState, error: undefined };
  // Node's own onerror destroys the stream (and closes the handle); ours records the error, and
  // reset() makes the handle usable for the next entry.
  h.native.onerror = (message: string, _errno: number, code?: string): void => {
    h.error = { message: String(message), code };
  };
  return h;
}

/**
 * One handle's inflate of `src` into `out[0, declared + 1)`: the problem, or the inflated length.
 * Z_FINISH in one call: zlib either reaches the stream's end, or runs out of input (an error
 * Node reports as "unexpected end of file"), or fills the output (declared + 1 bytes: too long).
 */
function inflateOn(z: typeof zlib, h: Handle, src: Uint8Array, declared: number, out: Uint8Array, inOff = 0, inLen = src.length): { problem: InflateProblem; message: string } | number {
  h.error = undefined;
  h.native.writeSync(z.constants.Z_FINISH, src, inOff, inLen, out, 0, declared + 1);
  const err = h.error as Handle['error'];
  const availOut = h.state[0]!;
  const availIn = h.state[1]!;
  h.native.reset();
  if (err) {
    if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) return { problem: 'truncated', message: 'its deflate stream is cut short (truncated)' };
    return { problem: 'corrupt', message: `its deflate stream is invalid (${err.message})` };
  }
  if (availOut === 0) return { problem: 'too-long', message: 'it inflates to more bytes than it declares' };
  // With Z_FINISH, output room left and no error means zlib reached the end of the stream.
  const produced = declared + 1 - availOut;
  if (produced !== declared) return { problem: 'short', message: `it inflates to ${produced} bytes, not the ${declared} it declares` };
  if (availIn > 0) return { problem: 'trailing', message: `its deflate stream ends ${availIn} bytes before its data does` };
  return produced;
}

/**
 * Whether this Node's zlib has the internals RawInflater reuses and they behave as it expects
 * (errors reported through onerror without destroying the stream, reset() recovers, the state
 * array holds avail_out/avail_in); undefined when all is well, else what is wrong.
 */
export function inflateReuseProblem(z: typeof zlib): string | undefined {
  const h = openHandle(z);
  if (!h) return "zlib's inflate stream lacks _handle.writeSync/reset/onerror or _writeState";
  try {
    // A known stream, made with the public API.
    const plain = Buffer.from('rollout verifies every entry; '.repeat(8));
    const probe = { plain, packed: z.deflateRawSync(plain) };
    const out = Buffer.alloc(probe.plain.length + 1);
    const bad = inflateOn(z, h, Buffer.from([0xff, 0xff, 0xff, 0xff]), 16, out);
    if (typeof bad === 'number' || bad.problem !== 'corrupt') return 'garbage input is not reported through onerror';
    if (h.stream.destroyed) return 'an inflate error destroys the stream despite our onerror';
    const cut = inflateOn(z, h, probe.packed.subarray(0, probe.packed.length - 3), probe.plain.length, out);
    if (typeof cut === 'number' || cut.problem !== 'truncated') return 'a truncated stream is not reported as unexpected end of file';
    const n = inflateOn(z, h, probe.packed, probe.plain.length, out);
    if (n !== probe.plain.length || !out.subarray(0, n).equals(probe.plain)) return 'reset() does not make the handle reusable (wrong bytes after an error)';
    const long = inflateOn(z, h, probe.packed, probe.plain.length - 1, out);
    if (typeof long === 'number' || long.problem !== 'too-long') return 'the output limit (avail_out) is not honoured';
    return undefined;
  } catch (e) {
    return `reusing a zlib handle threw (${(e as Error).message})`;
  } finally {
    h.stream.close();
  }
}

/**
 * Inflates raw-deflate entries of known sizes, one at a time, on one reused zlib handle (per
 * instance: use one per thread; calls are synchronous, so async callers may share it as long as
 * they use `data` before their next await, or pass their own `out`).
 */
export class RawInflater {
  private h: Handle | undefined;
  private pool: Buffer | undefined;
  /** False once the internals are missing or misbehaved: every entry then takes zlib.inflateRawSync. */
  reuse: boolean;

  /** `reuse` false: always zlib.inflateRawSync (for tests, and the comparison in benchmarks). */
  constructor(
    reuse = true,
    private readonly z: typeof zlib = zlib,
  ) {
    this.reuse = reuse;
  }

  /**
   * Inflate `src` (one entry's compressed bytes, exactly compressedSize of them) that declares
   * `declared` bytes, and its CRC-32. The bytes land in `out` when given (at least declared + 1
   * bytes long: the extra byte is how "too long" is seen), else in a buffer pooled by this
   * inflater that the next call overwrites. Never inflates more than declared + 1 bytes. The input
   * may be src[inOff, inOff + inLen) (no view made per entry).
   */
  inflate(src: Uint8Array, declared: number, out?: Buffer, inOff = 0, inLen = src.length - inOff): InflateResult {
    if (!Number.isSafeInteger(declared) || declared < 0) throw new RangeError(`declared size ${declared} is not a size`);
    if (out && out.length < declared + 1) throw new RangeError(`the output buffer holds ${out.length} bytes, fewer than declared + 1 (${declared + 1})`);
    const dst = out ?? this.room(declared + 1);
    // (zlib's avail_out is 32 bits; entries this large are streamed anyway)
    if (this.reuse && declared < 0x7fffffff) {
      const h = this.handle();
      if (h) {
        const r = inflateOn(this.z, h, src, declared, dst, inOff, inLen);
        // Our onerror keeps the stream alive; should anything still have destroyed it, its handle
        // is gone (a write on it would abort the process): never use it again.
        if (h.stream.destroyed) {
          this.h = undefined;
          this.reuse = false;
        }
        if (typeof r !== 'number') return { ok: false, ...r };
        const data = dst.subarray(0, r);
        return { ok: true, data, crc: this.z.crc32(data) };
      }
    }
    return this.fallback(inOff === 0 && inLen === src.length ? src : src.subarray(inOff, inOff + inLen), declared, dst);
  }

  /** Release the zlib handle. */
  close(): void {
    this.h?.stream.close();
    this.h = undefined;
    this.pool = undefined;
  }

  private room(n: number): Buffer {
    if (this.pool && this.pool.length >= n) return this.pool;
    const b = Buffer.allocUnsafe(Math.max(n, 64 * 1024));
    // Up to 8 MiB is kept for the next entries (one large entry must not pin its memory).
    if (b.length <= 8 * 1024 * 1024) this.pool = b;
    return b;
  }

  private handle(): Handle | undefined {
    if (this.h) return this.h;
    // Checked once per inflater: a Node whose internals behave otherwise gets the public API.
    if (inflateReuseProblem(this.z) !== undefined) {
      this.reuse = false;
      return undefined;
    }
    this.h = openHandle(this.z);
    if (!this.h) this.reuse = false;
    return this.h;
  }

  /** The same checks with zlib's public API (a zlib object per entry). */
  private fallback(src: Uint8Array, declared: number, dst: Buffer): InflateResult {
    let r: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      // maxOutputLength: zlib stops (throws) once more than `declared` bytes came out.
      r = this.z.inflateRawSync(src, { maxOutputLength: Math.max(1, declared), chunkSize: Math.max(64, Math.min(declared + 64, 8 * 1024 * 1024)), info: true }) as unknown as typeof r;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, problem: 'too-long', message: 'it inflates to more bytes than it declares' };
      if (err.code === 'Z_BUF_ERROR') return { ok: false, problem: 'truncated', message: 'its deflate stream is cut short (truncated)' };
      return { ok: false, problem: 'corrupt', message: `its deflate stream is invalid (${err.message})` };
    }
    const n = r.buffer.length;
    if (n > declared) return { ok: false, problem: 'too-long', message: 'it inflates to more bytes than it declares' };
    if (n !== declared) return { ok: false, problem: 'short', message: `it inflates to ${n} bytes, not the ${declared} it declares` };
    // bytesWritten: the input zlib consumed, which stops at the end of the stream.
    const rest = src.length - r.engine.bytesWritten;
    if (rest > 0) return { ok: false, problem: 'trailing', message: `its deflate stream ends ${rest} bytes before its data does` };
    r.buffer.copy(dst, 0, 0, n);
    const data = dst.subarray(0, n);
    return { ok: true, data, crc: this.z.crc32(data) };
  }
}

let shared: RawInflater | undefined;

/** This thread's shared inflater (see RawInflater for how long its `data` stays valid). */
export function sharedInflater(): RawInflater {
  return (shared ??= new RawInflater());
}

/** One step of a PieceInflater: output bytes made and input bytes left unread, or why the stream was refused. */
export type PieceStep = { ok: true; produced: number; inLeft: number } | { ok: false; problem: 'truncated' | 'corrupt'; message: string };

/**
 * One raw-deflate stream inflated piece by piece into the caller's reused buffers, on a zlib
 * handle of its own: a large entry is streamed without the fresh output buffer per chunk that
 * zlib's streams allocate (a 32 MiB entry faulted in ~8k fresh pages, ~10 us each on this machine).
 * Synchronous steps; the caller holds the output to the declared size (it passes at most
 * declared + 1 bytes of room, so a bomb stops there).
 */
export class PieceInflater {
  private constructor(
    private readonly z: typeof zlib,
    private readonly h: Handle,
  ) {}

  /** A fresh stream, or undefined when this Node's zlib internals are not the ones expected (the caller streams through zlib then). */
  static open(z: typeof zlib = zlib): PieceInflater | undefined {
    if (inflateReuseProblem(z) !== undefined) return undefined;
    const h = openHandle(z);
    return h ? new PieceInflater(z, h) : undefined;
  }

  /**
   * Inflate input[inOff, inOff + inLen) into out[0, outLen). `last`: no input follows, so the
   * stream must end within it (else 'truncated'). Input left over while output room was to spare
   * means the stream ended before its input did.
   */
  step(input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outLen: number, last: boolean): PieceStep {
    const h = this.h;
    h.error = undefined;
    h.native.writeSync(last ? this.z.constants.Z_FINISH : this.z.constants.Z_NO_FLUSH, input, inOff, inLen, out, 0, outLen);
    const err = h.error as Handle['error'];
    if (err) {
      if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) return { ok: false, problem: 'truncated', message: 'its deflate stream is cut short (truncated)' };
      return { ok: false, problem: 'corrupt', message: `its deflate stream is invalid (${err.message})` };
    }
    if (h.stream.destroyed) return { ok: false, problem: 'corrupt', message: 'the zlib stream was closed' };
    return { ok: true, produced: outLen - h.state[0]!, inLeft: h.state[1]! };
  }

  /** Release the zlib handle. */
  close(): void {
    this.h.stream.close();
  }
}
