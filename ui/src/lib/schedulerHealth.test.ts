import { describe, expect, it } from 'vitest';
import { describePunctuality } from './schedulerHealth';

const base = { leader: 's1', lag_seconds: 0, behind: false, behind_since: null, max_lag_seconds: 0, occurrences_overloaded: 0 };

describe('describePunctuality', () => {
  it('says unknown when no scheduler answered', () => {
    expect(describePunctuality(null).severity).toBe('unknown');
    expect(describePunctuality(undefined).label).toBe('punctuality unknown');
  });

  it('says on time, and mentions an earlier worst lag', () => {
    expect(describePunctuality(base)).toEqual({
      severity: 'success',
      label: 'on time',
      detail: 'Scheduler on s1; nothing skipped for lateness.',
    });
    expect(describePunctuality({ ...base, max_lag_seconds: 3.25, occurrences_overloaded: 1 }).detail)
      .toBe('Scheduler on s1, at worst 3.3 s behind; 1 occurrence skipped as overloaded since s1 took over.');
  });

  it('warns with the lag while the scheduler is behind', () => {
    const text = describePunctuality({ ...base, behind: true, lag_seconds: 4.2, occurrences_overloaded: 17 });
    expect(text.severity).toBe('warning');
    expect(text.label).toBe('behind by 4.2 s');
    expect(text.detail).toBe('The scheduler on s1 cannot keep up; 17 occurrences skipped as overloaded since s1 took over.');
  });
});
