import { useState } from 'react';
import { Button, IconButton, Tooltip } from '@mui/material';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import { useNotify, useRecordContext } from 'react-admin';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { Job } from '../api/types';
import { useApi } from '../api/useApi';

/** The run starts a moment after the 202; look again a few times so it shows up at once. */
const RUN_REFRESH_DELAYS_MS = [250, 1000, 2500];

function refreshSoonAfterRun(queryClient: QueryClient, jobName: string) {
  for (const delay of RUN_REFRESH_DELAYS_MS) {
    window.setTimeout(() => {
      void queryClient.invalidateQueries({ queryKey: ['dkron', 'executions', jobName] });
      void queryClient.invalidateQueries({ queryKey: ['dkron', 'busy'] });
    }, delay);
  }
}

/** Starts a manual run; works on disabled jobs too, since asking is explicit. */
export function RunNowButton({ compact = false }: { compact?: boolean }) {
  const job = useRecordContext<Job>();
  const api = useApi();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  if (!job) return null;

  const run = async (event: React.MouseEvent) => {
    event.stopPropagation();
    setPending(true);
    try {
      await api.runJob(job.name);
      notify(`Run of ${job.name} started`, { type: 'info' });
      refreshSoonAfterRun(queryClient, job.name);
    } catch (error) {
      notify((error as Error).message, { type: 'error' });
    } finally {
      setPending(false);
    }
  };

  if (compact) {
    return (
      <Tooltip title="Run now">
        <span>
          <IconButton size="small" aria-label={`Run ${job.name} now`} onClick={run} disabled={pending}>
            <PlayArrowIcon fontSize="small" />
          </IconButton>
        </span>
      </Tooltip>
    );
  }
  return (
    <Button size="small" startIcon={<PlayArrowIcon />} onClick={run} disabled={pending}>
      Run now
    </Button>
  );
}
