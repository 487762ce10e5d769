import { Chip, type ChipProps } from '@mui/material';
import type { JobStatus, OccurrenceState } from '../api/types';
import type { ExecutionState } from '../lib/execution';

type ChipColor = ChipProps['color'];

const JOB_STATUS: Record<string, { label: string; color: ChipColor }> = {
  success: { label: 'success', color: 'success' },
  failed: { label: 'failed', color: 'error' },
  partially_failed: { label: 'partly failed', color: 'warning' },
  '': { label: 'not run yet', color: 'default' },
};

/** The job's last outcome; a job that never finished a run says so instead of "failed". */
export function JobStatusChip({ status }: { status?: JobStatus }) {
  const shown = JOB_STATUS[status ?? ''] ?? { label: status, color: 'default' };
  return <Chip size="small" variant="outlined" label={shown.label} color={shown.color} />;
}

const EXECUTION_COLORS: Record<ExecutionState, ChipColor> = {
  running: 'info',
  succeeded: 'success',
  failed: 'error',
};

export function ExecutionStateChip({ state }: { state: ExecutionState }) {
  return (
    <Chip
      size="small"
      label={state}
      color={EXECUTION_COLORS[state]}
      variant={state === 'running' ? 'filled' : 'outlined'}
      data-testid={`execution-state-${state}`}
    />
  );
}

const OCCURRENCE_COLORS: Record<OccurrenceState, ChipColor> = {
  launched: 'info',
  succeeded: 'success',
  failed: 'error',
  skipped: 'warning',
  lost: 'error',
};

export function OccurrenceStateChip({ state }: { state: OccurrenceState }) {
  return <Chip size="small" variant="outlined" label={state} color={OCCURRENCE_COLORS[state] ?? 'default'} />;
}
