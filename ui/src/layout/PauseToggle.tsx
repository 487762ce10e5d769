import { Chip, IconButton, Tooltip } from '@mui/material';
import PauseCircleIcon from '@mui/icons-material/PauseCircle';
import PlayCircleIcon from '@mui/icons-material/PlayCircle';
import { useNotify } from 'react-admin';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/useApi';

export const PAUSE_QUERY_KEY = ['dkron', 'pause'];

/** The pause switch only affects the node this UI is served from, so the tooltip says so. */
export const PAUSE_EXPLANATION =
  'Pausing refuses new and changed job submissions on this node only (the one serving this page). ' +
  'It is not shared with other nodes and resets when the node restarts. Schedules, manual runs, ' +
  'toggles and deletes keep working.';

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
      notify(paused ? 'Job submissions paused on this node' : 'Job submissions resumed', { type: 'info' });
    },
    onError: (error: Error) => notify(error.message, { type: 'error' }),
  });
}

/** App bar button: shows whether submissions are paused and flips it. */
export function PauseToggle() {
  const { data: paused } = usePauseState();
  const setPaused = useSetPaused();
  const label = paused ? 'Resume job submissions' : 'Pause job submissions';
  return (
    <>
      {paused && <Chip size="small" color="warning" label="submissions paused" sx={{ mr: 1, display: { xs: 'none', sm: 'flex' } }} />}
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
