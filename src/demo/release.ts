// A release of the embedded dhash service: releases/<version>/release.json. What a release does is
// part of the release (its profile), so deploying a bad one really degrades the metrics and
// restoring a good one really heals them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';

/** How a release behaves; every misbehaviour begins `misbehave_after_ms` after start. */
export const ReleaseProfile = z.strictObject({
  images_per_second: z.number().positive().max(200).optional().describe('Overrides the configured worker rate.'),
  extra_hash_latency_ms: z.number().min(0).default(0).describe('Added to every measured hash time (a slow dependency; simulated, no CPU burnt).'),
  latency_jitter_ms: z.number().min(0).default(0),
  failure_rate: z.number().min(0).max(1).default(0).describe('Share of extractions that fail.'),
  health_fail_after_ms: z.number().min(0).nullable().default(null).describe('When /health starts answering 503.'),
  queue_growth_per_second: z.number().min(0).default(0).describe('Extra low-confidence items a second (a stalled reviewer re-queueing).'),
  misbehave_after_ms: z.number().min(0).default(1000),
});
export type ReleaseProfile = z.infer<typeof ReleaseProfile>;

/** The release file. */
export const ReleaseFile = z.strictObject({
  name: z.literal('dhash'),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/),
  description: z.string(),
  released_at: z.string().optional(),
  profile: ReleaseProfile.default(ReleaseProfile.parse({})),
});
export type ReleaseFile = z.infer<typeof ReleaseFile>;

/** Read and validate releases/<version>/release.json from a release folder. */
export function readRelease(dir: string): ReleaseFile {
  const path = join(dir, 'release.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot be read as JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return parseRelease(text, path);
}

/** Validate the text of a release file (`path` names it in the error). */
export function parseRelease(text: string, path: string): ReleaseFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: cannot be read as JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const r = ReleaseFile.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}
