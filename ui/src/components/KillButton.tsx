import { useState } from 'react';
import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from '@mui/material';
import StopCircleIcon from '@mui/icons-material/StopCircle';
import { useNotify } from 'react-admin';
import { useQueryClient } from '@tanstack/react-query';
import type { Execution } from '../api/types';
import { useApi } from '../api/useApi';

/**
 * Stops a running execution on whichever node runs it, after a confirmation: killing is not
 * undoable, and a stopped run is recorded as failed and is not retried.
 */
export function KillButton({ execution }: { execution: Execution }) {
  const api = useApi();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [pending, setPending] = useState(false);

  const kill = async () => {
    setPending(true);
    try {
      await api.killExecution(execution.job_name, execution.id);
      notify(`Stopping the run of ${execution.job_name} on ${execution.node_name || 'its node'}`, { type: 'info' });
      void queryClient.invalidateQueries({ queryKey: ['dkron', 'busy'] });
      void queryClient.invalidateQueries({ queryKey: ['dkron', 'executions', execution.job_name] });
    } catch (error) {
      notify((error as Error).message, { type: 'error' });
    } finally {
      setPending(false);
      setAsking(false);
    }
  };

  return (
    <>
      <Button
        size="small"
        color="error"
        startIcon={<StopCircleIcon />}
        onClick={() => setAsking(true)}
        disabled={pending}
        aria-label={`Kill the run of ${execution.job_name}`}
      >
        Kill
      </Button>
      <Dialog open={asking} onClose={() => setAsking(false)}>
        <DialogTitle>Kill this run of {execution.job_name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The run on {execution.node_name || 'its node'} is stopped now (a shell job's whole process group is
            killed). It is recorded as failed and killed, and it is not retried.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setAsking(false)}>Keep it running</Button>
          <Button color="error" variant="contained" onClick={kill} disabled={pending}>
            Kill
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
