import { useEffect, useState } from 'react';
import { Alert, Box, LinearProgress, Typography } from '@mui/material';
import { useWatch } from 'react-hook-form';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/useApi';
import { describeSchedule } from '../lib/schedule';
import { NextRuns } from './NextRuns';

const TYPING_PAUSE_MS = 400;
const PREVIEW_COUNT = 10;

function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delayMs);
    return () => window.clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}

/** Plain words and the next run times for the schedule being typed, checked by the server. */
export function SchedulePreviewPanel() {
  const api = useApi();
  const [schedule = '', timezone = '', name = '', parent = ''] = useWatch({
    name: ['schedule', 'timezone', 'name', 'parent_job'],
  }) as (string | null)[] as string[];
  const settled = useDebounced({ schedule: (schedule ?? '').trim(), timezone: timezone ?? '', name: name ?? '' }, TYPING_PAUSE_MS);
  const preview = useQuery({
    queryKey: ['dkron', 'schedule-preview', settled],
    queryFn: ({ signal }) => api.previewSchedule(settled.schedule, settled.timezone, settled.name, PREVIEW_COUNT, signal),
    enabled: settled.schedule !== '',
    retry: false,
  });
  const words = describeSchedule(schedule, Boolean(parent));

  return (
    <Box data-testid="schedule-preview" sx={{ mb: 2 }}>
      {words && (
        <Typography sx={{ mb: 1 }} data-testid="schedule-preview-words">
          {words}
        </Typography>
      )}
      {settled.schedule === '' ? (
        <Typography variant="body2" color="text.secondary">
          {parent ? 'A child job with no schedule runs after its parent succeeds.' : 'Type a schedule to see when it runs.'}
        </Typography>
      ) : preview.isFetching && !preview.data ? (
        <LinearProgress />
      ) : preview.error ? (
        <Alert severity="error" data-testid="schedule-preview-error">{(preview.error as Error).message}</Alert>
      ) : preview.data ? (
        <>
          <Typography variant="subtitle2">Next {PREVIEW_COUNT} runs</Typography>
          <NextRuns preview={preview.data} emptyText="This schedule has no upcoming runs (manual or triggered only)." />
        </>
      ) : null}
    </Box>
  );
}
