import { describe, expect, it } from 'vitest';
import { appendCapped, formatSize, tailForDisplay } from './output';

describe('output tail', () => {
  it('keeps short output whole', () => {
    expect(tailForDisplay('abc\n', 10)).toEqual({ text: 'abc\n', hiddenChars: 0 });
  });

  it('keeps the end of long output, starting at a line', () => {
    const output = 'line-1\nline-2\nline-3\n';
    const tail = tailForDisplay(output, 10);
    expect(tail.text).toBe('line-3\n');
    expect(tail.hiddenChars + tail.text.length).toBe(output.length);
  });

  it('cuts mid-line when there is no line break nearby', () => {
    const output = 'x'.repeat(5000);
    expect(tailForDisplay(output, 100).text.length).toBe(100);
  });

  it('handles megabytes without trouble', () => {
    const output = 'a line of output\n'.repeat(200_000);
    const tail = tailForDisplay(output, 1_000_000);
    expect(tail.text.length).toBeLessThanOrEqual(1_000_000);
    expect(tail.text.startsWith('a line')).toBe(true);
    expect(formatSize(output.length)).toBe('3.4 MB');
  });
});

describe('streamed output', () => {
  it('keeps only the newest text once over the limit', () => {
    expect(appendCapped('abc', 'def', 10)).toBe('abcdef');
    expect(appendCapped('abcdef', 'ghij', 5)).toBe('fghij');
  });
});
