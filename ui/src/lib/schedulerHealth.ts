import type { SchedulerHealth } from '../api/types';

/** What the dashboard says about the scheduler's punctuality. */
export interface PunctualityText {
  severity: 'success' | 'warning' | 'unknown';
  label: string;
  detail: string;
}

function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}

/** Turns the leader's scheduler health into a chip label and a line of detail. */
export function describePunctuality(health: SchedulerHealth | null | undefined): PunctualityText {
  if (!health) {
    return { severity: 'unknown', label: 'punctuality unknown', detail: 'No scheduler answered (no leader right now?).' };
  }
  const skipped = health.occurrences_overloaded;
  const skippedText = skipped === 0
    ? 'nothing skipped for lateness'
    : `${skipped} occurrence${skipped === 1 ? '' : 's'} skipped as overloaded since ${health.leader} took over`;
  if (health.behind) {
    return {
      severity: 'warning',
      label: `behind by ${seconds(health.lag_seconds)}`,
      detail: `The scheduler on ${health.leader} cannot keep up; ${skippedText}.`,
    };
  }
  const worst = health.max_lag_seconds >= 0.5 ? `, at worst ${seconds(health.max_lag_seconds)} behind` : '';
  return {
    severity: 'success',
    label: 'on time',
    detail: `Scheduler on ${health.leader}${worst}; ${skippedText}.`,
  };
}
