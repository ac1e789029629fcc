// The schema of a migration file (./migrate.ts), apart so that zod is loaded only when a file has
// to be validated (a file whose exact bytes were validated before comes from the cache).
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';

/** One operation on the JSON store. */
export const Op = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('set'), path: z.string().min(1), value: z.unknown() }),
  z.strictObject({ op: z.literal('remove'), path: z.string().min(1) }),
  z.strictObject({ op: z.literal('rename'), path: z.string().min(1), to: z.string().min(1) }),
]);
export type Op = z.infer<typeof Op>;

/** A migration file as validated. */
export const MigrationFile = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/),
  description: z.string(),
  target: z.string().default('config/{env}/dhash.json'),
  forward: z.array(Op),
  backward: z.array(Op),
});
export type MigrationData = z.infer<typeof MigrationFile>;
