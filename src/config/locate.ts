// Turns a validation problem into the one sentence SPEC.md asks for: file, JSON path, line.
// JSON is YAML 1.2, so one parser (yaml) gives line numbers for both kinds of file.
import { readFileSync } from 'node:fs';
import { LineCounter, isNode, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../domain/errors.js';

export type PathPart = string | number | symbol;

/** `environments.production.quality_gates[0]` style. */
export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

/** The 1-based line where the value at `path` starts, or undefined. */
export function lineOf(text: string, path: readonly PathPart[]): number | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: false, uniqueKeys: false });
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

function valueAt(data: unknown, path: readonly PathPart[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PathPart, unknown>)[p as string];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** One sentence for one problem at a path of a file. */
export function describeAt(file: string, text: string, path: readonly PathPart[], message: string): string {
  const line = lineOf(text, path);
  const where = `${file}${line ? `:${line}` : ''}`;
  return `${where}: ${formatPath(path)}: ${message}.`;
}

/** The first zod issue as one sentence naming file, path, line, the expected form and what was found. */
export function zodIssueSentence(file: string, text: string, data: unknown, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const path = [...issue.path, key];
    return describeAt(file, text, path, `unknown key "${key}"`);
  }
  const got = valueAt(data, issue.path);
  const msg = issue.message.replace(/^Invalid input: /, '');
  const base = /^expected /.test(msg) ? msg : `expected ${msg.charAt(0).toLowerCase()}${msg.slice(1)}`;
  return describeAt(file, text, issue.path, got === undefined && issue.code === 'invalid_type' ? `${base}, but it is missing` : `${base}, got ${show(got)}`);
}

/** Parse JSON text, or throw a ConfigError naming the file, line and column of the syntax error. */
export function parseJsonText(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const lc = msg.match(/line (\d+) column (\d+)/);
    const pos = msg.match(/position (\d+)/);
    let where = '';
    if (lc) where = `:${lc[1]}:${lc[2]}`;
    else if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = `:${line}:${before.length - before.lastIndexOf('\n')}`;
    }
    const what = msg.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of file');
    throw new ConfigError(`${file}${where}: not valid JSON (${what}).`);
  }
}

/** Read a config file's text, or throw a ConfigError saying it is missing or unreadable. */
export function readConfigText(path: string, display: string, what = 'file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `${display}: ${what} not found.` : `${display}: cannot be read (${code ?? 'error'}).`);
  }
}
