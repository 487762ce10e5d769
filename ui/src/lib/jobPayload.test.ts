import { describe, expect, it } from 'vitest';
import { toJobPayload } from './jobPayload';

describe('toJobPayload', () => {
  it('drops server-owned fields and turns emptied text fields into empty strings', () => {
    const payload = toJobPayload({
      name: 'nightly',
      status: 'success',
      next: '2026-01-01T00:00:00Z',
      timeout: null,
      misfire_policy: null,
      catch_up_window: '90m',
      notify_on: null,
      execution_retention: null,
      history_max_age: '720h',
    });
    expect(payload).not.toHaveProperty('status');
    expect(payload).not.toHaveProperty('next');
    expect(payload.timeout).toBe('');
    expect(payload.misfire_policy).toBe('');
    expect(payload.catch_up_window).toBe('90m');
    expect(payload.notify_on).toBe('');
    expect(payload.execution_retention).toBe(0);
    expect(payload.history_max_age).toBe('720h');
  });

  it('keeps several parents without blanks', () => {
    const payload = toJobPayload({ name: 'report', parent_jobs: ['extract', ' ', 'load'] });
    expect(payload.parent_jobs).toEqual(['extract', 'load']);
    const none = toJobPayload({ name: 'report', parent_jobs: ['', null] });
    expect(none).not.toHaveProperty('parent_jobs');
  });
});
