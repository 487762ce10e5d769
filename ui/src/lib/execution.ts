import type { Execution } from '../api/types';
import { isNever } from './time';

export type ExecutionState = 'running' | 'succeeded' | 'failed';

/** A run is running until it has a `finished_at`; only then does `success` mean anything. */
export function executionState(execution: Pick<Execution, 'finished_at' | 'success'>): ExecutionState {
  if (isNever(execution.finished_at)) return 'running';
  return execution.success ? 'succeeded' : 'failed';
}

/** A nominal time read from an execution's `group` (nanoseconds since the epoch). */
export interface NominalTime {
  /** Milliseconds since the epoch, for Date arithmetic. */
  millis: number;
  /** ISO 8601 in UTC with microseconds, e.g. `2025-12-20T10:15:30.401122Z`. */
  isoMicros: string;
}

/**
 * Reads a `group` value exactly. It is a decimal string when it came through parseApiJson,
 * but a number is accepted too (then already rounded by JSON.parse to about 256 ns).
 */
export function parseNominalTime(group: string | number | null | undefined): NominalTime | null {
  if (group === null || group === undefined || group === '') return null;
  let nanos: bigint;
  try {
    nanos = typeof group === 'number' ? BigInt(Math.round(group)) : BigInt(group.trim());
  } catch {
    return null;
  }
  if (nanos <= 0n) return null;
  const micros = nanos / 1000n;
  const millis = Number(micros / 1000n);
  const microsOfSecond = Number(micros % 1_000_000n);
  const date = new Date(millis);
  if (Number.isNaN(date.getTime())) return null;
  const wholeSeconds = date.toISOString().slice(0, 19);
  const fraction = String(microsOfSecond).padStart(6, '0');
  return { millis, isoMicros: `${wholeSeconds}.${fraction}Z` };
}
