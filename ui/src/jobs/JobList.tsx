import { Box, Stack, Typography } from '@mui/material';
import {
  CreateButton,
  Datagrid,
  DeleteButton,
  EditButton,
  FilterButton,
  FunctionField,
  List,
  Pagination,
  SearchInput,
  SelectInput,
  TextInput,
  TopToolbar,
} from 'react-admin';
import { Chip } from '@mui/material';
import type { Job } from '../api/types';
import { useBusy } from '../api/queries';
import { JobStatusChip } from '../components/StatusChips';
import { TimeText } from '../components/TimeText';
import { EmptyState } from '../components/EmptyState';
import { MONOSPACE } from '../layout/theme';
import { describeSchedule } from '../lib/schedule';
import { JobToggle } from './JobToggle';
import { RunNowButton } from './RunNowButton';
import { JobBulkActions } from './JobBulkActions';

const STATUS_CHOICES = [
  { id: 'success', name: 'Succeeded' },
  { id: 'failed', name: 'Failed' },
  { id: 'partially_failed', name: 'Partly failed' },
  { id: 'untriggered', name: 'Never finished a run' },
];

const DISABLED_CHOICES = [
  { id: 'false', name: 'Enabled' },
  { id: 'true', name: 'Disabled' },
];

const jobFilters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="Search name" />,
  <SelectInput key="status" source="status" label="Last status" choices={STATUS_CHOICES} />,
  <SelectInput key="disabled" source="disabled" label="Enabled?" choices={DISABLED_CHOICES} />,
  <TextInput key="metadata" source="metadata" label="Metadata" helperText="key=value, comma separated" />,
];

/** Columns that give way on narrow screens, by the class react-admin puts on each cell. */
const NARROW_SCREEN_HIDDEN = {
  '& .column-last_success, & .column-last_error': { display: { xs: 'none', lg: 'table-cell' } },
  '& .column-success_count': { display: { xs: 'none', xl: 'table-cell' } },
  '& .column-schedule': { display: { xs: 'none', md: 'table-cell' } },
  '& .column-next': { display: { xs: 'none', sm: 'table-cell' } },
  // On a phone the bulk actions are icons; tighter spacing keeps all four on screen.
  '& .RaBulkActionsToolbar-toolbar': { paddingRight: { xs: 0, sm: 2 } },
  '& .RaBulkActionsToolbar-toolbar .MuiIconButton-root': { padding: { xs: '6px', sm: '12px' } },
};

function JobName({ job }: { job: Job }) {
  return (
    <Box sx={{ minWidth: 120 }}>
      <Typography variant="body2" sx={{ fontWeight: 500, wordBreak: 'break-all' }} data-testid="job-name">
        {job.name}
      </Typography>
      {job.displayname && (
        <Typography variant="caption" color="text.secondary">
          {job.displayname}
        </Typography>
      )}
    </Box>
  );
}

function JobSchedule({ job }: { job: Job }) {
  const hasParent = Boolean(job.parent_job) || (job.parent_jobs?.length ?? 0) > 0;
  const words = describeSchedule(job.schedule, hasParent);
  return (
    <Box>
      <Typography variant="body2" sx={{ fontFamily: MONOSPACE, fontSize: 13, whiteSpace: 'nowrap' }}>
        {job.schedule || (hasParent ? `after ${job.parent_job || job.parent_jobs?.join(', ')}` : '—')}
      </Typography>
      {words && (
        <Typography variant="caption" color="text.secondary">
          {words}
        </Typography>
      )}
    </Box>
  );
}

/**
 * The last outcome, plus "running" while a run is going. One shared /v1/busy poll serves
 * every row, so a running job is never shown as failed or idle.
 */
function JobStatusCell({ job }: { job: Job }) {
  const { data: running } = useBusy();
  const isRunning = running?.some((execution) => execution.job_name === job.name) ?? false;
  return (
    <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
      {!(isRunning && !job.status) && <JobStatusChip status={job.status} />}
      {isRunning && <Chip size="small" color="info" label="running" />}
    </Stack>
  );
}

/** A disabled job keeps a computed `next`, but it will not run then, so say "disabled". */
function NextRun({ job }: { job: Job }) {
  if (job.disabled) {
    return <Typography variant="body2" color="text.secondary">disabled</Typography>;
  }
  return <TimeText value={job.next} timeZone={job.timezone} neverText="not scheduled" />;
}

function RunCounts({ job }: { job: Job }) {
  return (
    <Typography variant="body2" sx={{ whiteSpace: 'nowrap' }}>
      <Box component="span" sx={{ color: 'success.main' }}>{job.success_count ?? 0} ok</Box>
      {' · '}
      <Box component="span" sx={{ color: (job.error_count ?? 0) > 0 ? 'error.main' : 'text.secondary' }}>
        {job.error_count ?? 0} failed
      </Box>
    </Typography>
  );
}

function RowActions() {
  return (
    <Stack direction="row" sx={{ alignItems: 'center' }}>
      <RunNowButton compact />
      <EditButton label="" aria-label="Edit" />
      <DeleteButton label="" mutationMode="pessimistic" aria-label="Delete" />
    </Stack>
  );
}

function ListActions() {
  return (
    <TopToolbar>
      <FilterButton />
      <CreateButton label="New job" />
    </TopToolbar>
  );
}

function NoJobs() {
  return (
    <EmptyState
      message="No jobs yet. A job runs a command or an HTTP request on a schedule."
      action={<CreateButton label="Create the first job" variant="contained" />}
    />
  );
}

/** All jobs, paged, sorted and filtered by the server. */
export function JobList() {
  return (
    <List
      filters={jobFilters}
      sort={{ field: 'name', order: 'ASC' }}
      perPage={25}
      actions={<ListActions />}
      empty={<NoJobs />}
      pagination={<Pagination rowsPerPageOptions={[10, 25, 50, 100]} />}
      title="Jobs"
      sx={{
        // Scroll the table, not the list content: the bulk toolbar sits above the content.
        '& .RaDatagrid-tableWrapper': { overflowX: 'auto' },
        // On a phone the search box must shrink instead of widening the page.
        '& .RaList-main, & .RaList-actions, & .RaList-actions form, & .filter-field': { minWidth: 0, maxWidth: '100%' },
      }}
    >
      <Datagrid rowClick="show" bulkActionButtons={<JobBulkActions />} sx={NARROW_SCREEN_HIDDEN}>
        <FunctionField source="name" label="Job" render={(job: Job) => <JobName job={job} />} />
        <FunctionField source="schedule" label="Schedule" render={(job: Job) => <JobSchedule job={job} />} />
        <FunctionField source="status" label="Status" sortable={false} render={(job: Job) => <JobStatusCell job={job} />} />
        <FunctionField source="next" label="Next run" render={(job: Job) => <NextRun job={job} />} />
        <FunctionField source="last_success" label="Last success" render={(job: Job) => <TimeText value={job.last_success} />} />
        <FunctionField source="last_error" label="Last failure" render={(job: Job) => <TimeText value={job.last_error} />} />
        <FunctionField source="success_count" label="Runs" render={(job: Job) => <RunCounts job={job} />} />
        <FunctionField source="disabled" label="Enabled" sortable={false} render={(job: Job) => <JobToggle job={job} />} />
        <FunctionField label="" render={() => <RowActions />} />
      </Datagrid>
    </List>
  );
}
