// The one formatting module: the same value reads the same way on every face.
import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatClock, formatNumber, formatValue, tPlus, windowProgress } from '../../src/domain/format.js';

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
  });

  it('elapsed time in one format: T+mm:ss of 60:00, whole minutes past the hour, never h:mm:ss', () => {
    expect(windowProgress(90_000, 3_600_000)).toBe('T+01:30 of 60:00');
    expect(windowProgress(75 * 60_000, 90 * 60_000)).toBe('T+75:00 of 90:00');
    expect(formatClock(59_999)).toBe('00:59');
    expect(formatClock(59_600, 'nearest')).toBe('01:00');
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
