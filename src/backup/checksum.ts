// SHA-256 of files, streamed, and the `.sha256` companion file in exact `sha256sum` format, so
// that `sha256sum -c backups/X.zip.sha256` works from the workspace root as in the seeds.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { RefusedError } from '../domain/errors.js';

/** Streamed SHA-256 (hex) of a file on this thread; memory stays flat whatever the size. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The line of a `.sha256` file: `<64 hex>  <workspace-relative path>` and a newline. */
export function checksumLine(hash: string, relPath: string): string {
  return `${hash}  ${relPath}\n`;
}

/** The parsed content of a `.sha256` file. */
export interface ChecksumFile {
  hash: string;
  name: string;
}

/** Read and check the `.sha256` beside `zipPath`; refuses (exit 3) when missing or malformed. */
export function readChecksumFile(zipPath: string, display: string): ChecksumFile {
  const p = `${zipPath}.sha256`;
  if (!existsSync(p)) throw new RefusedError(`${display}.sha256 is missing, so the integrity of ${display} cannot be checked.`, ['Take a fresh backup: rollout backup --env ENV']);
  if (statSync(p).size > 4096) throw new RefusedError(`${display}.sha256 is malformed: expected one line "<64 hex digits>  <path>", found a file of ${statSync(p).size} bytes.`);
  const text = readFileSync(p, 'utf8');
  const lines = text.split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
  const m = lines.length === 1 ? /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(lines[0]!.replace(/\r$/, '')) : null;
  if (!m) throw new RefusedError(`${display}.sha256 is malformed: expected one line "<64 hex digits>  <path>" (sha256sum format).`);
  const name = m[2]!;
  if (basename(name.replaceAll('\\', '/')) !== basename(zipPath)) {
    throw new RefusedError(`${display}.sha256 names "${name}", not ${basename(zipPath)}: it belongs to another file.`);
  }
  return { hash: m[1]!.toLowerCase(), name };
}
