// Writes schemas/quality-gates-config.schema.json from the zod schema, so editors autocomplete
// the config. A test checks the committed file matches, so it cannot go stale.
import { writeFileSync } from 'node:fs';
import { gatesJsonSchema } from '../src/config/json-schema.js';

writeFileSync(new URL('../schemas/quality-gates-config.schema.json', import.meta.url), `${JSON.stringify(gatesJsonSchema(), null, 2)}\n`);
