// The config cache: the validated quality-gates-config.json and runbook of a workspace, kept in
// .rollout/cache/ so that a command whose files have not changed skips yaml and zod (~0.2 s of
// every start on this machine). Safe by construction:
//  - an entry names every file it was validated from with its SHA-256; any byte changed (or a
//    file gone) makes it stale, and the files are read and hashed on every run (cheap);
//  - it is keyed to the build (a new version of the tool validates again);
//  - its body carries an HMAC with a per-user key kept outside the workspace (the state folder,
//    mode 0600): an edited, swapped or truncated entry is not trusted, the files are validated;
//  - only a value that survives a JSON round trip unchanged is cached;
//  - it is an optimisation only: an unwritable .rollout, a missing key or any read problem just
//    means validating as before. ROLLOUT_CONFIG_CACHE=off turns it off.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../domain/clock.js';
import { UsageError } from '../domain/errors.js';
import { engineContextOf, runbookDisplay, type EngineContext } from './engine-context-of.js';
import type { GatesConfig } from './gates-schema.js';
import { resolveRunbookPath } from './runbook-files.js';
import type { LoadedRunbook } from './runbook.js';
import type { Workspace } from './workspace.js';

// A hash of the sources that validate (set by scripts/build.mjs); tests and tsx hash this folder.
declare const __ROLLOUT_BUILD_ID__: string | undefined;

const FORMAT = 1;

/** What an entry holds once verified. */
interface Entry {
  format: number;
  build: string;
  sources: { path: string; sha256: string }[];
  config: GatesConfig;
  runbook: LoadedRunbook;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

let buildIdMemo: string | undefined;
/** The build the cache is keyed to. */
export function configBuildId(): string {
  if (typeof __ROLLOUT_BUILD_ID__ === 'string') return __ROLLOUT_BUILD_ID__;
  if (buildIdMemo) return buildIdMemo;
  // Not bundled: the validating code is this folder's TypeScript.
  const dir = dirname(fileURLToPath(import.meta.url));
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return (buildIdMemo = `dev-${h.digest('hex').slice(0, 16)}`);
}

/** The folder of the per-user cache key: ROLLOUT_STATE_DIR, else the user's config folder. */
function stateDir(): string {
  return process.env.ROLLOUT_STATE_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'guarded-rollout');
}

/** The per-user HMAC key, created (0600, first writer wins) when missing; undefined when it cannot be had. */
export function cacheKey(create: boolean): Buffer | undefined {
  const file = join(stateDir(), 'config-cache.key');
  try {
    return privateKey(file);
  } catch (e) {
    if (!create || (e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, randomBytes(32), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, file); // fails when another process made the key first: theirs is used
    } catch {
      /* EEXIST: read theirs below */
    } finally {
      rmSync(tmp, { force: true });
    }
    return privateKey(file);
  } catch {
    return undefined;
  }
}

/**
 * The key in `file`, or undefined when another user could have read or replaced it: whoever knows
 * the key can sign a cache entry, and a signed entry skips validation. So only a regular file (not
 * a link) owned by this user, with no group or other permission, in a folder of this user that
 * no one else may write to. Throws (ENOENT) when there is no key file.
 */
function privateKey(file: string): Buffer | undefined {
  const fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  try {
    // Windows has no such modes (its ACLs are not checked here), so only the size counts there.
    if (process.platform !== 'win32') {
      const st = fstatSync(fd);
      const dir = statSync(dirname(file)); // (a linked folder is judged by the folder it names)
      const uid = process.getuid?.();
      if (!st.isFile() || (st.mode & 0o077) !== 0 || (dir.mode & 0o022) !== 0 || (uid !== undefined && (st.uid !== uid || dir.uid !== uid))) return undefined;
    }
    const k = readFileSync(fd);
    return k.length >= 32 ? k : undefined;
  } finally {
    closeSync(fd);
  }
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** The body of a signed cache file's text when its HMAC is this user's, else undefined (tampered, foreign, no key). Throws on text that is not JSON. */
export function signedBody(text: string): string | undefined {
  const key = cacheKey(false);
  if (!key) return undefined;
  const { body, hmac } = JSON.parse(text) as { body?: unknown; hmac?: unknown };
  if (typeof body !== 'string' || typeof hmac !== 'string') return undefined;
  const want = Buffer.from(mac(key, body), 'hex');
  const got = Buffer.from(hmac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want) ? body : undefined;
}

/** Write `body` signed with this user's key to `file` (temp + rename: a reader sees no entry, the old one or the new one); false when there is no private key. Throws on I/O errors. */
export function writeSigned(file: string, body: string): boolean {
  const key = cacheKey(true);
  if (!key) return false;
  mkdirSync(dirname(file), { recursive: true });
  // No fsync: a torn entry fails its HMAC.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ hmac: mac(key, body), body }), { mode: 0o600 });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  return true;
}

/** The entry file for a config + runbook pair (one per pair: a change overwrites it). */
export function cacheFile(ws: Workspace, rbPath: string): string {
  return join(ws.root, '.rollout', 'cache', `context-${sha256(`${resolve(ws.configPath)}\0${resolve(rbPath)}`).slice(0, 24)}.json`);
}

function readText(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** A verified, current entry for these files, or undefined (missing, stale, tampered, other build). */
export function readCached(ws: Workspace, rbPath: string): { config: GatesConfig; runbook: LoadedRunbook } | undefined {
  if (process.env.ROLLOUT_CONFIG_CACHE === 'off') return undefined;
  try {
    const raw = readText(cacheFile(ws, rbPath));
    if (!raw) return undefined;
    const body = signedBody(raw.toString('utf8'));
    if (body === undefined) return undefined;
    const e = JSON.parse(body) as Entry;
    if (e.format !== FORMAT || e.build !== configBuildId()) return undefined;
    // The entry must be for exactly these two files, in this order, then what the runbook extends.
    if (e.sources[0]?.path !== resolve(ws.configPath) || e.sources[1]?.path !== resolve(rbPath)) return undefined;
    for (const s of e.sources) {
      const now = readText(s.path);
      if (!now || sha256(now) !== s.sha256) return undefined;
    }
    return { config: e.config, runbook: e.runbook };
  } catch {
    return undefined; // unreadable or not JSON: validate as if there were no cache
  }
}

/** Keep a validated result for the next command, keyed to the exact texts validated (config first, then the runbooks); never fails the command. */
export function writeCached(ws: Workspace, files: { path: string; text: string }[], config: GatesConfig, runbook: LoadedRunbook): void {
  if (process.env.ROLLOUT_CONFIG_CACHE === 'off' || files.length < 2) return;
  try {
    const sources = files.map((f) => ({ path: resolve(f.path), sha256: sha256(Buffer.from(f.text, 'utf8')) }));
    const entry: Entry = { format: FORMAT, build: configBuildId(), sources, config, runbook };
    const body = JSON.stringify(entry);
    // Only what reads back identical: an Infinity, a Date or an undefined property would not.
    if (!isDeepStrictEqual(JSON.parse(body), entry)) return;
    writeSigned(cacheFile(ws, files[1]!.path), body);
  } catch {
    /* read-only workspace, full disk: the next command validates again */
  }
}

/**
 * loadEngineContext (config/engine-context.ts) through the cache: the same context and the same
 * errors, in the same order, with yaml and zod loaded only when the files changed since the last
 * validation (or were never validated by this build).
 */
export async function loadEngineContextCached(ws: Workspace, env: string | undefined, opts: { runbook?: string; operator: string; clock?: Clock }): Promise<EngineContext> {
  if (!env) throw new UsageError('Missing --env: name the environment (production, staging or development).');
  // Resolved first only when it cannot fail: otherwise the config's own error must come first, as before.
  let rbPath: string | undefined;
  try {
    rbPath = resolveRunbookPath(ws.runbooksDir, opts.runbook);
  } catch {
    rbPath = undefined;
  }
  const hit = rbPath ? readCached(ws, rbPath) : undefined;
  if (hit) return engineContextOf(ws, env, hit.config, hit.runbook, opts);
  const [{ parseGatesConfig }, { loadRunbook }, { readConfigText }] = await Promise.all([import('./gates.js'), import('./runbook.js'), import('./locate.js')]);
  // The texts validated are the texts hashed: a file changed meanwhile makes the entry stale, never wrong.
  const configText = readConfigText(ws.configPath, 'quality-gates-config.json');
  const config = parseGatesConfig(configText, 'quality-gates-config.json');
  const path = resolveRunbookPath(ws.runbooksDir, opts.runbook);
  const read: { path: string; text: string }[] = [];
  const runbook = loadRunbook(path, runbookDisplay(path), read);
  writeCached(ws, [{ path: ws.configPath, text: configText }, ...read], config, runbook);
  return engineContextOf(ws, env, config, runbook, opts);
}
