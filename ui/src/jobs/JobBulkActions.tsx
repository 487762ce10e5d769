import { useState } from 'react';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import ToggleOnIcon from '@mui/icons-material/ToggleOn';
import ToggleOffIcon from '@mui/icons-material/ToggleOff';
import { BulkDeleteButton, Button, useListContext, useNotify, useUnselectAll } from 'react-admin';
import { useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/useApi';

type BulkAction = (name: string) => Promise<unknown>;

function BulkButton({ label, icon, action }: { label: string; icon: React.ReactNode; action: BulkAction }) {
  const { selectedIds } = useListContext();
  const notify = useNotify();
  const unselectAll = useUnselectAll('jobs');
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);

  const apply = async () => {
    setPending(true);
    const failures: string[] = [];
    for (const id of selectedIds) {
      try {
        await action(String(id));
      } catch (error) {
        failures.push(`${id}: ${(error as Error).message}`);
      }
    }
    setPending(false);
    await queryClient.invalidateQueries({ queryKey: ['jobs'] });
    if (failures.length > 0) {
      notify(`${label} failed for ${failures.length} job(s): ${failures.slice(0, 3).join('; ')}`, { type: 'error' });
    } else {
      notify(`${label}: ${selectedIds.length} job(s)`, { type: 'info' });
      unselectAll();
    }
  };

  // react-admin's Button shows only its icon, with the label as tooltip and accessible name,
  // on phones: the four actions then fit the bar.
  return (
    <Button label={label} size="small" onClick={apply} disabled={pending}>
      {icon}
    </Button>
  );
}

/** Actions on the selected rows of the jobs list. */
export function JobBulkActions() {
  const api = useApi();
  return (
    <>
      <BulkButton label="Enable" icon={<ToggleOnIcon />} action={(name) => api.setJobDisabled(name, false)} />
      <BulkButton label="Disable" icon={<ToggleOffIcon />} action={(name) => api.setJobDisabled(name, true)} />
      <BulkButton label="Run now" icon={<PlayArrowIcon />} action={(name) => api.runJob(name)} />
      <BulkDeleteButton mutationMode="pessimistic" size="small" />
    </>
  );
}
