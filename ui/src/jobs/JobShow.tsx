import { Alert, Box, LinearProgress, Stack, Typography } from '@mui/material';
import { DeleteButton, EditButton, Show, TopToolbar, useRecordContext } from 'react-admin';
import { useQuery } from '@tanstack/react-query';
import type { Job } from '../api/types';
import { useApi } from '../api/useApi';
import { SectionCard } from '../components/SectionCard';
import { JobStatusChip } from '../components/StatusChips';
import { TimeText } from '../components/TimeText';
import { MONOSPACE } from '../layout/theme';
import { describeSchedule } from '../lib/schedule';
import { JobDetails, jobParents } from './JobDetails';
import { NextRuns } from './NextRuns';
import { ExecutionsPanel, useJobExecutions } from './ExecutionsPanel';
import { executionState } from '../lib/execution';
import { Chip } from '@mui/material';
import { LedgerPanel } from './LedgerPanel';
import { JobToggle } from './JobToggle';
import { RunNowButton } from './RunNowButton';

const NEXT_RUN_COUNT = 10;

function JobTitle() {
  const job = useRecordContext<Job>();
  return <>{job ? `Job ${job.name}` : 'Job'}</>;
}

function JobActions() {
  const job = useRecordContext<Job>();
  return (
    <TopToolbar sx={{ alignItems: 'center' }}>
      {job && <JobToggle job={job} />}
      <RunNowButton />
      <EditButton />
      <DeleteButton mutationMode="pessimistic" />
    </TopToolbar>
  );
}

function ScheduleSummary({ job }: { job: Job }) {
  const words = describeSchedule(job.schedule, jobParents(job).length > 0);
  return (
    <Stack spacing={0.5} sx={{ mb: 2 }}>
      <Typography sx={{ fontFamily: MONOSPACE }}>{job.schedule || '(no schedule)'}</Typography>
      {words && <Typography color="text.secondary" data-testid="schedule-words">{words}</Typography>}
      <Typography variant="body2" color="text.secondary">
        Time zone: {job.timezone || "the server's"} · Next run:{' '}
        {job.disabled ? 'none while disabled' : <TimeText value={job.next} timeZone={job.timezone} neverText="not scheduled" />}
      </Typography>
    </Stack>
  );
}

function UpcomingRuns({ job }: { job: Job }) {
  const api = useApi();
  const { data, isPending, error } = useQuery({
    queryKey: ['dkron', 'job-preview', job.name, job.schedule, job.timezone, job.disabled],
    queryFn: () => api.previewJob(job.name, NEXT_RUN_COUNT),
  });
  if (isPending) return <LinearProgress />;
  if (error) return <Alert severity="warning">Could not compute the next runs: {(error as Error).message}</Alert>;
  return (
    <>
      {job.disabled && (
        <Alert severity="info" variant="outlined" sx={{ mb: 1 }}>
          The job is disabled: these runs happen only once it is enabled again.
        </Alert>
      )}
      <NextRuns preview={data} />
    </>
  );
}

function JobHeader({ job }: { job: Job }) {
  // Shares the executions panel's query, so this costs no extra request.
  const { data } = useJobExecutions(job.name);
  const running = data?.executions.some((execution) => executionState(execution) === 'running') ?? false;
  return (
    <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
      <Typography variant="h5" component="h1" sx={{ wordBreak: 'break-all' }} data-testid="job-title">
        {job.name}
      </Typography>
      {!(running && !job.status) && <JobStatusChip status={job.status} />}
      {running && <Chip size="small" color="info" label="running now" data-testid="job-running" />}
      {job.disabled && <Typography color="warning.main">disabled</Typography>}
      {job.displayname && <Typography color="text.secondary">{job.displayname}</Typography>}
    </Stack>
  );
}

function JobPage() {
  const job = useRecordContext<Job>();
  if (!job) return <LinearProgress />;
  return (
    <Stack spacing={2} sx={{ pb: 4 }}>
      <JobHeader job={job} />
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: 'minmax(0, 1fr)', lg: 'minmax(0, 7fr) minmax(0, 5fr)' } }}>
        <SectionCard title="Schedule" testId="schedule-card">
          <ScheduleSummary job={job} />
          <UpcomingRuns job={job} />
        </SectionCard>
        <SectionCard title="Details">
          <JobDetails job={job} />
        </SectionCard>
      </Box>
      <SectionCard title="Executions" testId="executions-card">
        <ExecutionsPanel jobName={job.name} timeZone={job.timezone} />
      </SectionCard>
      <SectionCard title="Occurrences" testId="ledger-card">
        <LedgerPanel jobName={job.name} timeZone={job.timezone} />
      </SectionCard>
    </Stack>
  );
}

/** Everything about one job: schedule and next runs, fields, executions with output, ledger. */
export default function JobShow() {
  return (
    <Show
      title={<JobTitle />}
      actions={<JobActions />}
      component="div"
      queryOptions={{ refetchInterval: 5000 }}
      sx={{ '& .RaShow-main, & .RaShow-card': { minWidth: 0 } }}
    >
      <JobPage />
    </Show>
  );
}
