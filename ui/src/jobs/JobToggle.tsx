import { useEffect, useState } from 'react';
import { Switch, Tooltip } from '@mui/material';
import { useNotify, useRecordContext } from 'react-admin';
import { useQueryClient } from '@tanstack/react-query';
import type { Job } from '../api/types';
import { useApi } from '../api/useApi';

/**
 * Enables or disables a job in place. The switch flips at once (the server's answer then
 * confirms or reverts it) and always takes the same space, so rows never shift.
 */
export function JobToggle({ job: jobProp }: { job?: Job }) {
  const recordJob = useRecordContext<Job>();
  const job = jobProp ?? recordJob;
  const api = useApi();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [disabled, setDisabled] = useState(Boolean(job?.disabled));
  const [pending, setPending] = useState(false);
  useEffect(() => setDisabled(Boolean(job?.disabled)), [job?.disabled]);
  if (!job) return null;

  const toggle = async () => {
    const wanted = !disabled;
    setDisabled(wanted);
    setPending(true);
    try {
      const updated = await api.toggleJob(job.name);
      setDisabled(Boolean(updated.disabled));
      notify(`${job.name} ${updated.disabled ? 'disabled' : 'enabled'}`, { type: 'info' });
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
    } catch (error) {
      setDisabled(!wanted);
      notify((error as Error).message, { type: 'error' });
    } finally {
      setPending(false);
    }
  };

  const label = disabled ? `Enable ${job.name}` : `Disable ${job.name}`;
  return (
    <Tooltip title={disabled ? 'Disabled: click to enable' : 'Enabled: click to disable'}>
      <Switch
        size="small"
        checked={!disabled}
        disabled={pending}
        onClick={(event) => event.stopPropagation()}
        onChange={toggle}
        slotProps={{ input: { 'aria-label': label } }}
        data-testid={`toggle-${job.name}`}
        data-enabled={String(!disabled)}
      />
    </Tooltip>
  );
}
