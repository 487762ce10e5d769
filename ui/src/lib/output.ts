/** How much output the viewer renders by default: more than this and the page gets slow. */
export const DISPLAY_CAP_CHARS = 1_000_000;

export interface OutputTail {
  /** The text to render: the whole output, or its last `cap` characters from a line start. */
  text: string;
  /** How many characters were left out at the start. */
  hiddenChars: number;
}

/**
 * Keeps the end of a long output. The cut moves forward to the next line start when one is
 * near, so the first shown line is whole.
 */
export function tailForDisplay(output: string, cap: number = DISPLAY_CAP_CHARS): OutputTail {
  if (output.length <= cap) return { text: output, hiddenChars: 0 };
  let start = output.length - cap;
  const nextLineStart = output.indexOf('\n', start);
  if (nextLineStart !== -1 && nextLineStart - start < 1000) start = nextLineStart + 1;
  return { text: output.slice(start), hiddenChars: start };
}

/** "1.2 MB", "512 B": sizes of output as a person reads them. */
export function formatSize(chars: number): string {
  if (chars < 1000) return `${chars} B`;
  if (chars < 1_000_000) return `${(chars / 1000).toFixed(1)} kB`;
  return `${(chars / 1_000_000).toFixed(1)} MB`;
}

/** How much streamed output is kept in memory; older text is dropped from the start. */
export const MAX_KEPT_CHARS = 8_000_000;

/** Appends streamed output, keeping at most `max` characters from the end. */
export function appendCapped(kept: string, appended: string, max: number = MAX_KEPT_CHARS): string {
  const joined = kept + appended;
  return joined.length > max ? joined.slice(joined.length - max) : joined;
}
