import { describe, expect, test } from 'vitest';
import { describeChange } from './audit';

describe('describeChange', () => {
  test('shows a value change from before to after', () => {
    expect(describeChange({ field: 'schedule', from: '"@every 1m"', to: '"@every 5m"' })).toBe(
      'schedule: "@every 1m" → "@every 5m"',
    );
  });

  test('shows a new value without a before', () => {
    expect(describeChange({ field: 'paused', to: 'true' })).toBe('paused: true');
  });

  test('names the changed keys of a secret field and no value', () => {
    expect(describeChange({ field: 'executor_config', keys: ['command', 'env'] })).toBe(
      'executor_config: changed keys command, env (values hidden)',
    );
    expect(describeChange({ field: 'env' })).toBe('env: changed (values hidden)');
  });
});
