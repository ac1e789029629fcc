// The embedded dhash service's process: `dhash-service --env E --port P --dir DEPLOY_DIR
// [--config FILE]`. Runs the release `current` points at, writes service.pid once listening,
// logs to stdout (the starter points it at service.log), and stops gracefully on SIGTERM.
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../domain/fs-atomic.js';
import { currentReleaseDir, localLayout } from './layout.js';
import { readRelease } from './release.js';
import { createDhashService } from './service.js';
import { readSettings } from './settings.js';
import { humanLine } from '../domain/service-log.js';

let humanLog: { file: string; who: string } | undefined;

// JSON on stdout (service.log, read back by the starter); the same line for people in --log.
function log(msg: string, fields: Record<string, unknown> = {}): void {
  const ts = new Date().toISOString();
  const level = typeof fields.level === 'string' ? fields.level : /crashed|cannot listen|bad arguments|nothing deployed/.test(msg) ? 'CRITICAL' : 'INFO';
  process.stdout.write(`${JSON.stringify({ ts, pid: process.pid, msg, ...fields, level })}\n`);
  if (humanLog) {
    try {
      appendFileSync(humanLog.file, humanLine(ts, level, humanLog.who, msg, fields));
    } catch {
      /* the human log is a convenience: the JSON one above has every line */
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { env: { type: 'string' }, port: { type: 'string' }, dir: { type: 'string' }, config: { type: 'string' }, root: { type: 'string' }, log: { type: 'string' } } });
  const port = Number(values.port);
  if (values.log) {
    mkdirSync(dirname(values.log), { recursive: true });
    humanLog = { file: values.log, who: `dhash ${values.env ?? '?'} pid=${process.pid}` };
  }
  if (!values.env || !values.dir || !Number.isInteger(port) || port <= 0) {
    log('bad arguments: need --env, --port and --dir');
    process.exit(2);
  }
  const layout = localLayout(values.root ?? process.cwd(), values.env, values.dir);
  const releaseDir = currentReleaseDir(layout);
  if (!releaseDir) {
    log('nothing deployed: deployments/<env>/current points at no release');
    process.exit(1);
  }
  const release = readRelease(releaseDir);
  const settings = readSettings(values.config);
  const svc = createDhashService({ release, settings, port, diskPath: layout.dir, log, env: values.env });
  try {
    await svc.listen();
  } catch (e) {
    log('cannot listen', { port, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
    process.exit(1);
  }
  writeFileAtomic(layout.pidFile, `${process.pid}\n`);
  log('started', { env: values.env, version: release.version, settings });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    void svc.close().then(() => {
      try {
        // Only our own pid file: a newer instance may have written its own already.
        if (readFileSync(layout.pidFile, 'utf8').trim() === String(process.pid)) rmSync(layout.pidFile, { force: true });
      } catch {
        /* already gone */
      }
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main().catch((e: unknown) => {
  log('crashed', { error: (e as Error).message });
  process.exit(1);
});
