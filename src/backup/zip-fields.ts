// The few zip fields read on both of verify's threads (zip.ts on this one, read-pass.ts on the
// hashing thread too): a module of their own, so that the hashing thread's bundle holds no yauzl.

// Little-endian fields read byte by byte, for the per-entry paths (central directory, local
// headers): Buffer's readUInt16LE/readUInt32LE check their arguments on every call and are slow
// until optimized, ~0.5 us a call, 10 of them per record (a third of parsing 10k records). The
// callers check the bounds first.
/** The unsigned 16-bit little-endian number at `at` of `b` (in bounds). */
export const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
/** The unsigned 32-bit little-endian number at `at` of `b` (in bounds). */
export const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

/** The words for a local header that is not there. */
export const NO_LOCAL_HEADER = 'a local file header is missing (truncated or damaged)';

/** Where the data of the entry whose local header is at `head[at]` (file offset `off`) begins. */
export function dataStartFromLocalHeader(head: Uint8Array, off: number, at = 0): number {
  if (at < 0 || head.length < at + 30 || u32(head, at) !== 0x04034b50) throw new Error(NO_LOCAL_HEADER);
  return off + 30 + u16(head, at + 26) + u16(head, at + 28);
}
