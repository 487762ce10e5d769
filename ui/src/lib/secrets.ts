/**
 * Secrets in job configurations: the server shows every secret (env values, passwords,
 * credential headers, URL passwords) as the placeholder below, and keeps the stored secret
 * when a job is saved with the placeholder still in place (docs/api.md, "Secrets").
 */

/** The text the server shows in place of a secret. */
export const REDACTED = '<redacted>';

/** True when a configuration value holds at least one hidden secret. */
export function holdsRedacted(value: unknown): boolean {
  return typeof value === 'string' && value.includes(REDACTED);
}

/** How many secrets a value hides (one per placeholder). */
export function redactedCount(value: unknown): number {
  return typeof value === 'string' ? value.split(REDACTED).length - 1 : 0;
}
