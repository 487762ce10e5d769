import { describe, expect, it } from 'vitest';
import { REDACTED, holdsRedacted, redactedCount } from './secrets';

describe('secrets', () => {
  it('recognises values that hide secrets', () => {
    expect(holdsRedacted(`TOKEN=${REDACTED},MODE=${REDACTED}`)).toBe(true);
    expect(redactedCount(`TOKEN=${REDACTED},MODE=${REDACTED}`)).toBe(2);
    expect(holdsRedacted('TOKEN=abc')).toBe(false);
    expect(holdsRedacted(undefined)).toBe(false);
    expect(redactedCount(null)).toBe(0);
  });
});
