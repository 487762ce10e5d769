import { describe, expect, it } from 'vitest';
import { executionState, parseNominalTime } from './execution';
import { parseApiJson } from '../api/json';
import type { Execution } from '../api/types';

describe('executions', () => {
  it('derives running from the zero or missing finish time, whatever success says', () => {
    expect(executionState({ finished_at: '0001-01-01T00:00:00Z', success: false })).toBe('running');
    expect(executionState({ success: true })).toBe('running');
    expect(executionState({ finished_at: '2025-12-20T10:00:00Z', success: true })).toBe('succeeded');
    expect(executionState({ finished_at: '2025-12-20T10:00:00Z', success: false })).toBe('failed');
  });

  it('keeps every digit of the nanosecond group when parsing JSON', () => {
    const body =
      '[{"id":"a","output":"\\"group\\":5","group":1766225730401122334,"attempt":1},{"group":7}]';
    const executions = parseApiJson<Execution[]>(body);
    expect(executions[0].group).toBe('1766225730401122334');
    expect(executions[0].output).toBe('"group":5');
    expect(executions[1].group).toBe('7');
  });

  it('reads the group as a nominal time with microseconds', () => {
    expect(parseNominalTime('1766225730401122334')).toEqual({
      millis: 1766225730401,
      isoMicros: '2025-12-20T10:15:30.401122Z',
    });
    expect(parseNominalTime('0')).toBeNull();
    expect(parseNominalTime('')).toBeNull();
    expect(parseNominalTime('abc')).toBeNull();
    expect(parseNominalTime(undefined)).toBeNull();
  });
});
