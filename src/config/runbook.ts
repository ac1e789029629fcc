// Loading runbooks/*.yaml with the yaml library and the zod schema; errors name file and line.
import { dirname, join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../domain/errors.js';
import { describeAt, readConfigText, zodIssueSentence } from './locate.js';
import { Runbook, type EnvironmentRunbook } from './runbook-schema.js';

/** A loaded runbook with its environments resolved (own, or from the runbook it extends). */
export interface LoadedRunbook extends Runbook {
  file: string;
  environments: Record<string, EnvironmentRunbook>;
}

/** Parse and validate runbook text; `file` is how it is named in messages. */
export function parseRunbook(text: string, file: string): Runbook {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = lc.linePos(err.pos[0]).line;
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${file}:${line}: not valid YAML (${what}).`);
  }
  const data = yamlToJs(doc, file);
  const r = Runbook.safeParse(data);
  if (!r.success) throw new ConfigError(zodIssueSentence(file, text, data, r.error.issues[0]!));
  const ids = new Set<string>();
  r.data.steps.forEach((s, i) => {
    if (ids.has(s.id)) throw new ConfigError(describeAt(file, text, ['steps', i, 'id'], `step id "${s.id}" is used twice`));
    ids.add(s.id);
  });
  return r.data;
}

/** Most alias expansions a YAML file may use: far more than any runbook needs, far fewer than a "billion laughs" bomb. */
export const YAML_MAX_ALIAS_COUNT = 100;

/** A parsed YAML document as plain data, an alias bomb refused with one sentence naming the file. */
export function yamlToJs(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/alias/i.test(msg)) throw new ConfigError(`${file}: too many YAML aliases (more than ${YAML_MAX_ALIAS_COUNT} expansions, the shape of an alias bomb); write the values out instead.`);
    throw new ConfigError(`${file}: not valid YAML (${msg.split('\n')[0]!.replace(/\.$/, '')}).`);
  }
}

/** Load a runbook file by path; `display` is the name in messages; `read` collects every file read with the text validated (the runbook, then those it extends). */
export function loadRunbook(path: string, display = path, read?: { path: string; text: string }[]): LoadedRunbook {
  const text = readConfigText(path, display, 'runbook');
  read?.push({ path, text });
  const rb = parseRunbook(text, display);
  let environments = rb.environments ?? {};
  if (rb.extends) {
    const parentPath = join(dirname(path), rb.extends);
    const parent = loadRunbook(parentPath, join(dirname(display), rb.extends), read);
    environments = { ...parent.environments, ...environments };
  }
  if (Object.keys(environments).length === 0) throw new ConfigError(`${display}: the runbook defines no environments (add "environments:" or "extends:").`);
  return { ...rb, file: display, environments };
}

// Kept in runbook-files.ts (no yaml, no zod) so that a cached context needs neither; re-exported here.
export { listRunbooks, resolveRunbookPath, runbookEnvironment } from './runbook-files.js';
