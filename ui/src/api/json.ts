/**
 * Parses an API body as JSON, keeping execution `group` values exact.
 *
 * `group` is a nanosecond timestamp (about 1.7e18) that JSON.parse would round to a double,
 * so the digits are quoted before parsing. Inside JSON strings a quote is always escaped
 * (`\"group\":`), so the pattern only matches real object keys.
 */
export function parseApiJson<T>(body: string): T {
  const groupQuoted = body.replace(/"group":(-?\d+)/g, '"group":"$1"');
  return JSON.parse(groupQuoted) as T;
}
