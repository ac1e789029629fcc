// The service's settings from config/<env>/dhash.json: written by deploy, transformed by the
// migrations in migrations/dhash/. Old and new shapes are both understood, so the service runs
// before and after every migration.
import { readFileSync } from 'node:fs';

/** What the worker loop obeys. */
export interface ServiceSettings {
  matchMaxDistance: number;
  band: { min: number; max: number };
  imagesPerSecond: number;
  reviewRatePerSecond: number;
}

export const DEFAULT_SETTINGS: ServiceSettings = { matchMaxDistance: 5, band: { min: 6, max: 12 }, imagesPerSecond: 30, reviewRatePerSecond: 8 };

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Read settings from the config file (missing file or fields: defaults). */
export function readSettings(path: string | undefined): ServiceSettings {
  if (!path) return { ...DEFAULT_SETTINGS };
  let s: Record<string, unknown> = {};
  try {
    const cfg = JSON.parse(readFileSync(path, 'utf8')) as { settings?: Record<string, unknown> };
    s = cfg.settings ?? {};
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
  const band = (s.ambiguous_band ?? {}) as Record<string, unknown>;
  return {
    matchMaxDistance: num(s.match_max_distance, num(s.match_threshold, DEFAULT_SETTINGS.matchMaxDistance)),
    band: { min: num(band.min, DEFAULT_SETTINGS.band.min), max: num(band.max, DEFAULT_SETTINGS.band.max) },
    imagesPerSecond: Math.min(200, Math.max(1, num(s.images_per_second, DEFAULT_SETTINGS.imagesPerSecond))),
    reviewRatePerSecond: Math.max(0, num(s.review_rate_per_second, DEFAULT_SETTINGS.reviewRatePerSecond)),
  };
}
