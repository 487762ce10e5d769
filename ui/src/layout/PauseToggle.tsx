import { Chip, IconButton, Tooltip } from '@mui/material';
import PauseCircleIcon from '@mui/icons-material/PauseCircle';
import PlayCircleIcon from '@mui/icons-material/PlayCircle';
import { useNotify } from 'react-admin';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/useApi';

export const PAUSE_QUERY_KEY = ['dkron', 'pause'];

/** What pausing does, for tooltips: it is cluster-wide and affects schedules, not only edits. */
export const PAUSE_EXPLANATION =
  'Pausing applies to the whole cluster and survives restarts: scheduled runs do not happen ' +
  '(each is recorded as skipped, so nothing is caught up later) and new or changed jobs are ' +
  'refused. Manual runs, enable/disable and delete still work; runs already going finish.';

export function usePauseState() {
  const api = useApi();
  return useQuery({ queryKey: PAUSE_QUERY_KEY, queryFn: () => api.getPaused(), refetchInterval: 10_000 });
}

export function useSetPaused() {
  const api = useApi();
  const notify = useNotify();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (paused: boolean) => api.setPaused(paused),
    onSuccess: (paused) => {
      queryClient.setQueryData(PAUSE_QUERY_KEY, paused);
      notify(paused ? 'Scheduling paused cluster-wide' : 'Scheduling resumed', { type: 'info' });
    },
    onError: (error: Error) => notify(error.message, { type: 'error' }),
  });
}

/** App bar button: shows whether submissions are paused and flips it. */
export function PauseToggle() {
  const { data: paused } = usePauseState();
  const setPaused = useSetPaused();
  const label = paused ? 'Resume scheduling' : 'Pause scheduling';
  return (
    <>
      {paused && <Chip size="small" color="warning" label="scheduling paused" sx={{ mr: 1, display: { xs: 'none', sm: 'flex' } }} />}
      <Tooltip title={`${label}. ${PAUSE_EXPLANATION}`}>
      <span>
        <IconButton
          color="inherit"
          aria-label={label}
          data-testid="pause-toggle"
          disabled={paused === undefined || setPaused.isPending}
          onClick={() => setPaused.mutate(!paused)}
        >
          {paused ? <PlayCircleIcon /> : <PauseCircleIcon />}
        </IconButton>
      </span>
      </Tooltip>
    </>
  );
}
