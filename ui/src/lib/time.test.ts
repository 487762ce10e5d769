import { describe, expect, it } from 'vitest';
import { formatDateTime, formatDuration, formatRelative, formatSeconds, isNever } from './time';

describe('time', () => {
  it('reads the zero time, null and garbage as never', () => {
    expect(isNever('0001-01-01T00:00:00Z')).toBe(true);
    expect(isNever(null)).toBe(true);
    expect(isNever(undefined)).toBe(true);
    expect(isNever('not a time')).toBe(true);
    expect(isNever('2025-12-20T10:15:30Z')).toBe(false);
    expect(formatDateTime('0001-01-01T00:00:00Z')).toBe('never');
    expect(formatRelative(null)).toBe('never');
  });

  it('formats in the requested zone', () => {
    expect(formatDateTime('2025-12-20T10:15:30Z', 'UTC')).toBe('2025-12-20 10:15:30');
    expect(formatDateTime('2025-07-01T10:00:00Z', 'Europe/Berlin')).toBe('2025-07-01 12:00:00');
  });

  it('falls back to the browser zone for a zone it does not know', () => {
    expect(formatDateTime('2025-12-20T10:15:30Z', 'Not/AZone')).toMatch(/^2025-12-2\d \d\d:15:30$/);
  });

  it('says how long ago or until', () => {
    const now = Date.parse('2025-12-20T10:00:00Z');
    expect(formatRelative('2025-12-20T10:05:00Z', now)).toBe('in 5 min');
    expect(formatRelative('2025-12-20T07:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2025-12-20T10:00:02Z', now)).toBe('just now');
  });

  it('measures durations, counting a running one up to now', () => {
    expect(formatDuration('2025-12-20T10:00:00Z', '2025-12-20T10:00:00.250Z')).toBe('250 ms');
    expect(formatDuration('2025-12-20T10:00:00Z', '2025-12-20T10:00:12.5Z')).toBe('12.5 s');
    const now = Date.parse('2025-12-20T11:02:00Z');
    expect(formatDuration('2025-12-20T10:00:00Z', '0001-01-01T00:00:00Z', now)).toBe('1 h 2 min');
    expect(formatDuration(undefined, undefined)).toBe('–');
    expect(formatSeconds(0)).toBe('0 s');
  });
});
