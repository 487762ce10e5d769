import cronstrue from 'cronstrue';

const DESCRIPTOR_WORDS: Record<string, string> = {
  '@yearly': 'Once a year, at midnight on January 1',
  '@annually': 'Once a year, at midnight on January 1',
  '@monthly': 'Once a month, at midnight on the first day',
  '@weekly': 'Once a week, at midnight between Saturday and Sunday',
  '@daily': 'Once a day, at midnight',
  '@midnight': 'Once a day, at midnight',
  '@hourly': 'Once an hour, at the start of the hour',
  '@minutely': 'Once a minute, at the start of the minute',
  '@manually': 'Only when run by hand',
  '@triggered': 'Only when its parent job finishes',
};

/**
 * Describes a Dkron schedule in plain English: six-field cron with seconds, descriptors
 * (`@daily`, `@every 1h30m`, `@at <time>`), and `~` hash placeholders (a stable time picked
 * from the job name). Returns null when the text cannot be read; the server stays the judge.
 */
export function describeSchedule(schedule: string | null | undefined, hasParent = false): string | null {
  const spec = (schedule ?? '').trim();
  if (spec === '') return hasParent ? 'Runs after its parent job succeeds' : null;
  const lower = spec.toLowerCase();
  if (DESCRIPTOR_WORDS[lower]) return DESCRIPTOR_WORDS[lower];
  if (lower.startsWith('@every ')) return `Every ${describeGoDuration(spec.slice(7).trim())}`;
  if (lower.startsWith('@at ')) return `Once, at ${spec.slice(4).trim()}`;
  if (spec.startsWith('@')) return null;
  return describeCron(spec);
}

function describeCron(spec: string): string | null {
  const hasHash = spec.includes('~');
  const fields = spec.replace(/~/g, '0').split(/\s+/);
  if (fields.length < 5 || fields.length > 7) return null;
  try {
    const words = cronstrue.toString(fields.join(' '), { use24HourTimeFormat: true, verbose: false });
    return hasHash ? `${words} (~ fields: a fixed value picked from the job name)` : words;
  } catch {
    return null;
  }
}

const GO_DURATION_UNITS: Record<string, string> = {
  h: 'hour',
  m: 'minute',
  s: 'second',
  ms: 'millisecond',
};

/** "1h30m" → "1 hour 30 minutes"; unknown text is returned unchanged. */
export function describeGoDuration(duration: string): string {
  const pieces = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (pieces.length === 0 || pieces.map((p) => p[0]).join('') !== duration) return duration;
  return pieces
    .map(([, amount, unit]) => {
      const name = GO_DURATION_UNITS[unit];
      // "@every 1h" reads best as "Every hour"; within "1h30m" the 1 stays.
      if (amount === '1') return pieces.length === 1 ? name : `1 ${name}`;
      return `${amount} ${name}s`;
    })
    .join(' ');
}
