// The JSON Schema of quality-gates-config.json, generated from the zod schema.
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';
import { GatesConfigInput } from './gates-schema.js';

/** JSON Schema (draft 2020-12) for the file as written. */
export function gatesJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(GatesConfigInput, { io: 'input' }), title: 'guarded-rollout quality-gates-config.json' };
}
