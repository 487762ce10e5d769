/** Fields the server computes; sending them back would only be ignored, so they are dropped. */
const SERVER_OWNED_FIELDS = [
  'id',
  'success_count',
  'error_count',
  'last_success',
  'last_error',
  'dependent_jobs',
  'status',
  'next',
];

const STRING_FIELDS = [
  'name',
  'displayname',
  'timezone',
  'schedule',
  'owner',
  'owner_email',
  'parent_job',
  'concurrency',
  'executor',
  'retry_backoff',
  'timeout',
  'misfire_policy',
  'catch_up_window',
  'notify_on',
  'history_max_age',
];

/** Keeps the entries of a string map that have a key and a value; null when none remain. */
export function cleanStringMap(map: unknown): Record<string, string> | null {
  if (!map || typeof map !== 'object') return null;
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
    if (key.trim() === '' || value === null || value === undefined || value === '') continue;
    cleaned[key] = String(value);
  }
  return Object.keys(cleaned).length > 0 ? cleaned : null;
}

/**
 * Turns form values into the job body the API expects: form inputs give `null` for emptied
 * text fields, while the API wants strings; maps drop empty entries; times are null or a string.
 */
export function toJobPayload(values: Record<string, unknown>): Record<string, unknown> {
  const payload: Record<string, unknown> = { ...values };
  for (const field of SERVER_OWNED_FIELDS) delete payload[field];
  for (const field of STRING_FIELDS) {
    const value = payload[field];
    payload[field] = value === null || value === undefined ? '' : String(value);
  }
  payload.executor_config = cleanStringMap(payload.executor_config);
  payload.tags = cleanStringMap(payload.tags);
  payload.metadata = cleanStringMap(payload.metadata);
  const parents = Array.isArray(payload.parent_jobs)
    ? payload.parent_jobs.map((name) => String(name ?? '').trim()).filter((name) => name !== '')
    : [];
  if (parents.length > 0) payload.parent_jobs = parents;
  else delete payload.parent_jobs;
  payload.retries = Number(payload.retries ?? 0) || 0;
  payload.execution_retention = Number(payload.execution_retention ?? 0) || 0;
  payload.disabled = Boolean(payload.disabled);
  payload.ephemeral = Boolean(payload.ephemeral);
  for (const field of ['starts_at', 'expires_at']) {
    payload[field] = optionalTime(payload[field]);
  }
  return payload;
}

/** A time input gives a Date, an ISO string, or nothing; the API wants RFC 3339 or null. */
function optionalTime(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}
