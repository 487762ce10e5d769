import type { AuditChange } from '../api/types';

/**
 * One changed field as a line of text: `field: before → after` for values (JSON text, as
 * the server recorded them), `field: changed keys a, b` for secret fields, whose values the
 * server never records.
 */
export function describeChange(change: AuditChange): string {
  if (change.keys && change.keys.length > 0) {
    return `${change.field}: changed keys ${change.keys.join(', ')} (values hidden)`;
  }
  if (change.from === undefined && change.to === undefined) {
    return `${change.field}: changed (values hidden)`;
  }
  if (change.from === undefined) {
    return `${change.field}: ${change.to}`;
  }
  return `${change.field}: ${change.from} → ${change.to ?? ''}`;
}
