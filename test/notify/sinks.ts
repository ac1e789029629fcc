// Real endpoints on 127.0.0.1 for the notification tests: an HTTP server standing in for Slack,
// Teams and Discord (recording what it got, answering as told), a real SMTP server, and a scan of
// a workspace and captured output for secrets.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SMTPServer } from 'smtp-server';

/** One request a sink received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  at: number;
}

/** How a sink answers: a status (and headers, body), or 'hang' (never answer). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A running HTTP sink. */
export interface Sink {
  port: number;
  url(path: string): string;
  received: Received[];
  close(): Promise<void>;
}

/** Start an HTTP sink; `reply` decides each answer from the request and its 0-based index. */
export async function startSink(reply: (r: Received, index: number) => Reply | Promise<Reply> = () => ({ status: 200, body: 'ok' })): Promise<Sink> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, at: Date.now() };
      const index = received.length;
      received.push(r);
      void Promise.resolve(reply(r, index)).then((a) => {
        if (a === 'hang') return;
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One mail the SMTP sink accepted. */
export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** A running SMTP sink. */
export interface SmtpSink {
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1; with user/pass it requires AUTH and, on a wrong password, answers with a reply that quotes it (as careless servers do). */
export async function startSmtp(auth?: { user: string; pass: string }): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !auth,
    logger: false,
    onAuth(a, _session, cb) {
      if (auth && a.username === auth.user && a.password === auth.pass) return cb(null, { user: a.username });
      const err = new Error(`Authentication failed for ${a.username} with password ${a.password ?? ''}`) as Error & { responseCode: number };
      err.responseCode = 535;
      return cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

/** Every place under `root` (all files) or in `texts` where one of `secrets` appears. */
export function findLeaks(root: string, texts: Record<string, string>, secrets: string[]): string[] {
  const leaks: string[] = [];
  const files: string[] = [];
  walk(root, files);
  for (const f of files) {
    const content = readFileSync(f, 'utf8');
    for (const s of secrets) if (content.includes(s)) leaks.push(`${relative(root, f)} contains ${s}`);
  }
  for (const [name, text] of Object.entries(texts)) for (const s of secrets) if (text.includes(s)) leaks.push(`${name} contains ${s}`);
  return leaks;
}

/** All files under a folder, workspace-relative. */
export function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  walk(join(root, dir), out);
  return out.map((p) => relative(root, p));
}

/**
 * A real SMTP server (smtp-server) that offers only AUTH PLAIN, rejects every login, and echoes
 * the AUTH PLAIN token it got (base64 of "\0user\0pass") in its 535 reply, as the server in issue
 * #13 did. `attempts` counts the AUTH commands it saw, so a test can tell the token was sent.
 */
export async function startSmtpEchoingAuth(): Promise<SmtpSink & { attempts: { user: string; token: string }[] }> {
  const attempts: { user: string; token: string }[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(a, _session, cb) {
      // smtp-server decodes the token; this is the token the client sent ("\0" authcid "\0" passwd).
      const token = Buffer.from(`\0${a.username}\0${a.password ?? ''}`).toString('base64');
      attempts.push({ user: a.username ?? '', token });
      const err = new Error(`5.7.8 Authentication credentials invalid: AUTH PLAIN ${token} (token ${token})`) as Error & { responseCode: number };
      err.responseCode = 535;
      return cb(err);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { port, mails: [], attempts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
