import type { ReactNode } from 'react';
import { Alert, Box, Button, Chip, LinearProgress, Link as MuiLink, List, ListItem, ListItemText, Stack, Tooltip, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { Title } from 'react-admin';
import { useBusy, useLeader, useMembers, useNodeStatus, useSummary } from '../api/queries';
import type { Summary } from '../api/types';
import { SectionCard } from '../components/SectionCard';
import { EmptyState } from '../components/EmptyState';
import { TimeText } from '../components/TimeText';
import { PAUSE_EXPLANATION, usePauseState, useSetPaused } from '../layout/PauseToggle';
import { countMembers } from '../lib/members';
import { describePunctuality } from '../lib/schedulerHealth';
import { formatDuration } from '../lib/time';
import { useNow } from '../lib/useNow';

/** Link to the jobs list with a filter applied (react-admin reads `filter` from the URL). */
function jobsListUrl(filter: Record<string, string>): string {
  return `/jobs?filter=${encodeURIComponent(JSON.stringify(filter))}`;
}

function Figure({ value, label, to, color }: { value: ReactNode; label: string; to?: string; color?: string }) {
  const body = (
    <Box sx={{ minWidth: 96 }}>
      <Typography variant="h4" component="div" sx={{ color, lineHeight: 1.2 }}>{value}</Typography>
      <Typography variant="body2" color="text.secondary">{label}</Typography>
    </Box>
  );
  if (!to) return body;
  return <MuiLink component={Link} to={to} underline="none" color="inherit">{body}</MuiLink>;
}

function ClusterCard() {
  const members = useMembers();
  const leader = useLeader();
  const node = useNodeStatus();
  const counts = countMembers(members.data ?? []);
  return (
    <SectionCard title="Cluster" testId="cluster-card" action={<Button component={Link} to="/members" size="small">Members</Button>}>
      {members.isPending ? <LinearProgress /> : members.error ? (
        <Alert severity="error">{(members.error as Error).message}</Alert>
      ) : (
        <Stack spacing={2}>
          <Typography>
            Leader:{' '}
            {leader.data ? <strong data-testid="leader-name">{leader.data.Name}</strong> : (
              <Box component="span" sx={{ color: 'warning.main' }}>{leader.isPending ? '…' : 'none right now (election?)'}</Box>
            )}
          </Typography>
          {node.data?.agent && (
            <Typography variant="body2" color="text.secondary">
              This page is served by {node.data.agent.name} (dkron-rs {node.data.agent.version}).
            </Typography>
          )}
          <Stack direction="row" spacing={3} useFlexGap sx={{ flexWrap: 'wrap', rowGap: 1 }}>
            <Figure value={`${counts.serversAlive}/${counts.servers}`} label="servers alive" color={counts.serversAlive < counts.servers ? 'warning.main' : undefined} />
            <Figure value={`${counts.agentsAlive}/${counts.agents}`} label="agents alive" color={counts.agentsAlive < counts.agents ? 'warning.main' : undefined} />
          </Stack>
        </Stack>
      )}
    </SectionCard>
  );
}

function JobCounts({ jobs }: { jobs: Summary['jobs'] }) {
  return (
    <Stack direction="row" spacing={3} useFlexGap sx={{ flexWrap: 'wrap', rowGap: 2 }}>
      <Figure value={jobs.total} label="jobs" to="/jobs" />
      <Figure value={jobs.success} label="succeeded last" to={jobsListUrl({ status: 'success' })} color="success.main" />
      <Figure value={jobs.failed} label="failed last" to={jobsListUrl({ status: 'failed' })} color={jobs.failed > 0 ? 'error.main' : undefined} />
      <Figure value={jobs.partially_failed} label="partly failed" to={jobsListUrl({ status: 'partially_failed' })} color={jobs.partially_failed > 0 ? 'warning.main' : undefined} />
      <Figure value={jobs.untriggered} label="never ran" to={jobsListUrl({ status: 'untriggered' })} />
      <Figure value={jobs.disabled} label="disabled" to={jobsListUrl({ disabled: 'true' })} />
    </Stack>
  );
}

function JobsCard() {
  const summary = useSummary();
  return (
    <SectionCard title="Jobs" testId="jobs-card" action={<Button component={Link} to="/jobs/create" size="small" variant="contained">New job</Button>}>
      {summary.isPending ? <LinearProgress /> : summary.error ? (
        <Alert severity="error">Could not load the summary: {(summary.error as Error).message}</Alert>
      ) : <JobCounts jobs={summary.data.jobs} />}
    </SectionCard>
  );
}

function LastHourCard() {
  const summary = useSummary();
  const lastHour = summary.data?.last_hour;
  return (
    <SectionCard title="Last hour" testId="last-hour-card">
      {!lastHour ? (summary.isPending ? <LinearProgress /> : <EmptyState message="No summary available." />) : (
        <Stack spacing={1}>
          <Stack direction="row" spacing={3}>
            <Figure value={lastHour.succeeded} label="jobs succeeded" color="success.main" />
            <Figure value={lastHour.failed} label="jobs failed" color={lastHour.failed > 0 ? 'error.main' : undefined} />
          </Stack>
          {lastHour.failed_jobs.length === 0 ? (
            <Typography variant="body2" color="text.secondary">No failures in the last hour.</Typography>
          ) : (
            <List dense disablePadding data-testid="failed-jobs">
              {lastHour.failed_jobs.map((job) => (
                <ListItem key={job.name} disableGutters>
                  <ListItemText
                    primary={<MuiLink component={Link} to={`/jobs/${encodeURIComponent(job.name)}/show`}>{job.name}</MuiLink>}
                    secondary={<>failed <TimeText value={job.last_error} /></>}
                  />
                </ListItem>
              ))}
            </List>
          )}
        </Stack>
      )}
    </SectionCard>
  );
}

function RunningCard() {
  const busy = useBusy();
  const running = busy.data ?? [];
  const now = useNow(running.length > 0);
  return (
    <SectionCard title={`Running now${running.length ? ` (${running.length})` : ''}`} testId="running-card" action={<Button component={Link} to="/busy" size="small">Watch</Button>}>
      {busy.isPending ? <LinearProgress /> : running.length === 0 ? (
        <Typography variant="body2" color="text.secondary">Nothing is running.</Typography>
      ) : (
        <List dense disablePadding>
          {running.slice(0, 10).map((execution) => (
            <ListItem key={execution.id} disableGutters>
              <ListItemText
                primary={<MuiLink component={Link} to={`/jobs/${encodeURIComponent(execution.job_name)}/show`}>{execution.job_name}</MuiLink>}
                secondary={`on ${execution.node_name || '?'} for ${formatDuration(execution.started_at, null, now)}`}
              />
            </ListItem>
          ))}
          {running.length > 10 && <Typography variant="caption">and {running.length - 10} more</Typography>}
        </List>
      )}
    </SectionCard>
  );
}

function Punctuality() {
  const summary = useSummary();
  if (summary.isPending) return null;
  const text = describePunctuality(summary.data?.scheduler);
  const color = text.severity === 'unknown' ? 'default' : text.severity;
  return (
    <Stack spacing={0.5} sx={{ alignItems: 'flex-start' }} data-testid="punctuality">
      <Chip variant="outlined" color={color} label={text.label} data-testid="punctuality-state" />
      <Typography variant="caption" color="text.secondary">{text.detail}</Typography>
    </Stack>
  );
}

function SchedulerCard() {
  const { data: paused, isPending } = usePauseState();
  const setPaused = useSetPaused();
  return (
    <SectionCard title="Scheduler" testId="pause-card">
      {isPending ? <LinearProgress /> : (
        <Stack spacing={1} sx={{ alignItems: 'flex-start' }}>
          <Chip color={paused ? 'warning' : 'success'} label={paused ? 'paused cluster-wide' : 'running'} data-testid="pause-state" />
          <Punctuality />
          <Tooltip title={PAUSE_EXPLANATION} describeChild>
            <Button size="small" variant="outlined" disabled={setPaused.isPending} onClick={() => setPaused.mutate(!paused)}>
              {paused ? 'Resume scheduling' : 'Pause scheduling'}
            </Button>
          </Tooltip>
          <Typography variant="caption" color="text.secondary">
            {paused ? 'Scheduled runs are skipped and job changes refused.' : 'Applies to the whole cluster.'}
          </Typography>
        </Stack>
      )}
    </SectionCard>
  );
}

/** The home page: cluster health, job outcomes, recent failures, what runs now. */
export function Dashboard() {
  return (
    <Box sx={{ py: 2 }}>
      <Title title="Dashboard" />
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: 'minmax(0, 1fr)', md: 'repeat(2, minmax(0, 1fr))', xl: 'repeat(3, minmax(0, 1fr))' } }}>
        <JobsCard />
        <ClusterCard />
        <LastHourCard />
        <RunningCard />
        <SchedulerCard />
      </Box>
    </Box>
  );
}
