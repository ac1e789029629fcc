// The committed JSON Schema (what editors autocomplete) must be the one the zod schema generates.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatesJsonSchema } from '../../src/config/json-schema.js';
import { REPO } from '../helpers/cli.js';

describe('schemas/quality-gates-config.schema.json', () => {
  it('matches the zod schema (regenerate with npm run schema)', () => {
    const committed = JSON.parse(readFileSync(`${REPO}/schemas/quality-gates-config.schema.json`, 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(gatesJsonSchema())));
  });

  it('is referenced by the shipped config with $schema', () => {
    const cfg = JSON.parse(readFileSync(`${REPO}/quality-gates-config.json`, 'utf8')) as { $schema: string };
    expect(cfg.$schema).toBe('./schemas/quality-gates-config.schema.json');
  });
});
