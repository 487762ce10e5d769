/**
 * Reads the jobs list's metadata filter, written as `key=value` pairs separated by commas
 * (`team=ops, env=prod`). Entries without `=` or with an empty key are ignored.
 */
export function parseMetadataFilter(text: unknown): Record<string, string> {
  if (typeof text !== 'string') return {};
  const pairs: Record<string, string> = {};
  for (const entry of text.split(',')) {
    const separator = entry.indexOf('=');
    if (separator <= 0) continue;
    const key = entry.slice(0, separator).trim();
    if (key) pairs[key] = entry.slice(separator + 1).trim();
  }
  return pairs;
}
