/** Go's zero time, which the API uses for "never" (e.g. a running execution's `finished_at`). */
export const ZERO_TIME_PREFIX = '0001-01-01';

/** True when the value is missing, unparsable or the zero time. */
export function isNever(value: string | null | undefined): boolean {
  if (!value || value.startsWith(ZERO_TIME_PREFIX)) return true;
  return Number.isNaN(Date.parse(value));
}

/** Milliseconds since the epoch, or null for "never". */
export function toMillis(value: string | null | undefined): number | null {
  return isNever(value) ? null : Date.parse(value as string);
}

/** A date and time in the given zone (the browser's when absent), e.g. `2025-12-20 10:15:30`. */
export function formatDateTime(value: string | null | undefined, timeZone?: string): string {
  const millis = toMillis(value);
  if (millis === null) return 'never';
  return formatMillis(millis, timeZone);
}

export function formatMillis(millis: number, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: validTimeZone(timeZone),
  };
  const parts = new Intl.DateTimeFormat('en-CA', options).formatToParts(new Date(millis));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

/** Returns the zone when this browser knows it, otherwise undefined (the browser's zone). */
export function validTimeZone(timeZone: string | undefined): string | undefined {
  if (!timeZone) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return timeZone;
  } catch {
    return undefined;
  }
}

/** "in 5 min", "3 h ago", "just now"; "never" for the zero time. */
export function formatRelative(value: string | null | undefined, nowMillis: number = Date.now()): string {
  const millis = toMillis(value);
  if (millis === null) return 'never';
  const deltaSeconds = Math.round((millis - nowMillis) / 1000);
  if (Math.abs(deltaSeconds) < 5) return 'just now';
  const words = formatSeconds(Math.abs(deltaSeconds), 1);
  return deltaSeconds > 0 ? `in ${words}` : `${words} ago`;
}

const UNITS: [string, number][] = [
  ['d', 86400],
  ['h', 3600],
  ['min', 60],
  ['s', 1],
];

/** A length of time in its largest units: `formatSeconds(3725, 2)` is "1 h 2 min". */
export function formatSeconds(totalSeconds: number, maxUnits = 2): string {
  let remaining = Math.max(0, Math.floor(totalSeconds));
  const pieces: string[] = [];
  for (const [unit, size] of UNITS) {
    if (pieces.length >= maxUnits) break;
    const amount = Math.floor(remaining / size);
    if (amount > 0 || (unit === 's' && pieces.length === 0)) {
      pieces.push(`${amount} ${unit}`);
      remaining -= amount * size;
    }
  }
  return pieces.join(' ');
}

/** The time between two instants; a missing end means "still going" and counts up to now. */
export function formatDuration(
  start: string | null | undefined,
  end: string | null | undefined,
  nowMillis: number = Date.now(),
): string {
  const startMillis = toMillis(start);
  if (startMillis === null) return '–';
  const endMillis = toMillis(end) ?? nowMillis;
  const millis = Math.max(0, endMillis - startMillis);
  if (millis < 1000) return `${millis} ms`;
  if (millis < 60_000) return `${(millis / 1000).toFixed(1)} s`;
  return formatSeconds(millis / 1000, 2);
}
