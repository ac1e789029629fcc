// The one formatting module: the same value reads the same way on every face.
import { describe, expect, it } from 'vitest';
import { IN_POLL_LINE, ON_SCREEN, elapsed, formatAge, formatBytes, formatClock, formatNumber, formatValue, tPlus, windowProgress } from '../../src/domain/format.js';

describe('format', () => {
  it('values with units: rounded, "1 item", short units on screen, a chosen word for no value', () => {
    expect(formatNumber(3948.4732824427483)).toBe('3948.5');
    expect(formatNumber(0.9512)).toBe('0.95');
    expect(formatValue(3948.4732824427483, 'ms')).toBe('3948.5 ms');
    expect(formatValue(0.3, '%')).toBe('0.30%');
    expect(formatValue(1, 'items')).toBe('1 item');
    expect(formatValue(2, 'items')).toBe('2 items');
    expect(formatValue(3, 'consecutive')).toBe('3 consecutive');
    expect(formatValue(3, 'consecutive', { short: true })).toBe('3 in row');
    expect(formatValue(null, 'ms')).toBe('—');
    expect(formatValue(null, 'ms', { none: 'no reading' })).toBe('no reading');
    expect(formatValue(7, '')).toBe('7');
    // The faces' styles: the screen's short units; a poll line writes measures only.
    expect(formatValue(3, 'consecutive', ON_SCREEN)).toBe('3 in row');
    expect(formatValue(3, 'items', IN_POLL_LINE)).toBe('3');
    expect(formatValue(2450, 'ms', IN_POLL_LINE)).toBe('2450 ms');
    expect(formatValue(null, 'ms', IN_POLL_LINE)).toBe('–');
  });

  it('elapsed time in one format: T+mm:ss of 60:00, whole minutes past the hour, never h:mm:ss', () => {
    expect(windowProgress(90_000, 3_600_000)).toBe('T+01:30 of 60:00');
    expect(windowProgress(75 * 60_000, 90 * 60_000)).toBe('T+75:00 of 90:00');
    expect(formatClock(59_999)).toBe('00:59');
    // One rounding on every face: whole seconds elapsed (a stopwatch never shows a second early).
    expect(formatClock(59_600)).toBe('00:59');
    expect(tPlus(5_600, 5_000)).toBe('T+00:00');
    expect(elapsed(95_400, 5_000, 3_605_000)).toBe('T+01:30 of 60:00');
    expect(tPlus(1_000 + 12 * 60_000, 1_000)).toBe('T+12:00');
    expect(tPlus(0, 5_000)).toBe('T+00:00');
  });

  it('bytes and ages', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2252)).toBe('2.2 KB');
    expect(formatBytes(1_300_000)).toBe('1.2 MB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.00 GB');
    expect(formatAge(0, 42_000)).toBe('42 s ago');
    expect(formatAge(0, 42 * 60_000)).toBe('42 min ago');
    expect(formatAge(0, 26 * 3_600_000)).toBe('26 h ago');
    expect(formatAge(0, 3 * 86_400_000)).toBe('3 days ago');
  });
});
