import { describe, expect, it } from 'vitest';
import { describeGoDuration, describeSchedule } from './schedule';
import { parseMetadataFilter } from './metadataFilter';
import { toJobPayload } from './jobPayload';

describe('schedule words', () => {
  it('describes six-field cron with seconds', () => {
    expect(describeSchedule('0 30 2 * * *')).toBe('At 02:30');
    expect(describeSchedule('*/10 * * * * *')).toBe('Every 10 seconds');
  });

  it('describes descriptors', () => {
    expect(describeSchedule('@every 1h30m')).toBe('Every 1 hour 30 minutes');
    expect(describeSchedule('@every 10s')).toBe('Every 10 seconds');
    expect(describeSchedule('@daily')).toMatch(/Once a day/);
    expect(describeSchedule('@manually')).toMatch(/by hand/);
    expect(describeSchedule('@at 2026-01-01T00:00:00Z')).toBe('Once, at 2026-01-01T00:00:00Z');
  });

  it('mentions hash placeholders', () => {
    expect(describeSchedule('~ ~ 3 * * *')).toMatch(/job name/);
  });

  it('gives null for what it cannot read, and parent words for an empty child schedule', () => {
    expect(describeSchedule('bogus')).toBeNull();
    expect(describeSchedule('')).toBeNull();
    expect(describeSchedule('', true)).toMatch(/parent/);
    expect(describeGoDuration('5x')).toBe('5x');
  });
});

describe('metadata filter', () => {
  it('reads key=value pairs', () => {
    expect(parseMetadataFilter('team=ops, env = prod,bad,=x')).toEqual({ team: 'ops', env: 'prod' });
    expect(parseMetadataFilter(undefined)).toEqual({});
  });
});

describe('job payload', () => {
  it('turns form values into an API body', () => {
    const payload = toJobPayload({
      id: 'x',
      name: 'x',
      displayname: null,
      next: '2025-01-01T00:00:00Z',
      executor_config: { command: 'echo', cwd: null, env: '' },
      metadata: { team: 'ops', '': 'orphan' },
      tags: {},
      retries: '2',
      parent_jobs: ['a', ' ', 'b'],
      starts_at: '',
    });
    expect(payload).toMatchObject({
      name: 'x',
      displayname: '',
      executor_config: { command: 'echo' },
      metadata: { team: 'ops' },
      tags: null,
      retries: 2,
      starts_at: null,
      disabled: false,
      parent_jobs: ['a', 'b'],
    });
    expect(toJobPayload({ name: 'y', parent_jobs: [] })).not.toHaveProperty('parent_jobs');
    expect(payload).not.toHaveProperty('id');
    expect(payload).not.toHaveProperty('next');
  });
});
