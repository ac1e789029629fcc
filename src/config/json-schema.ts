// The JSON Schema of quality-gates-config.json, generated from the zod schema.
import { z } from 'zod';
import { GatesConfigInput } from './gates-schema.js';

/** JSON Schema (draft 2020-12) for the file as written. */
export function gatesJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(GatesConfigInput, { io: 'input' }), title: 'guarded-rollout quality-gates-config.json' };
}
