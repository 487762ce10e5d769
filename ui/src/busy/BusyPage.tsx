import { Alert, Box, LinearProgress, Link as MuiLink, Stack, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { Title } from 'react-admin';
import type { Execution } from '../api/types';
import { useBusy } from '../api/queries';
import { SectionCard } from '../components/SectionCard';
import { EmptyState } from '../components/EmptyState';
import { KillButton } from '../components/KillButton';
import { OutputViewer } from '../components/OutputViewer';
import { useExecutionOutput } from '../components/useExecutionOutput';
import { formatDateTime, formatDuration } from '../lib/time';
import { useNow } from '../lib/useNow';
import { parseNominalTime } from '../lib/execution';

function RunningExecution({ execution, now }: { execution: Execution; now: number }) {
  const output = useExecutionOutput(execution);
  const nominal = parseNominalTime(execution.group);
  return (
    <SectionCard
      testId="busy-execution"
      title={
        <MuiLink component={Link} to={`/jobs/${encodeURIComponent(execution.job_name)}/show`}>
          {execution.job_name}
        </MuiLink>
      }
    >
      <Stack direction="row" spacing={2} sx={{ mb: 1, flexWrap: 'wrap' }}>
        <Typography variant="body2">on {execution.node_name || '?'}</Typography>
        <Typography variant="body2">started {formatDateTime(execution.started_at)}</Typography>
        <Typography variant="body2">running for {formatDuration(execution.started_at, null, now)}</Typography>
        {nominal && <Typography variant="body2" color="text.secondary">nominal {nominal.isoMicros}</Typography>}
        {(execution.attempt ?? 1) > 1 && <Typography variant="body2">attempt {execution.attempt}</Typography>}
        <Box sx={{ flexGrow: 1 }} />
        <KillButton execution={execution} />
      </Stack>
      <OutputViewer output={output} fileName={`${execution.job_name}-${execution.id}.log`} maxHeight={300} />
    </SectionCard>
  );
}

/** What runs right now anywhere in the cluster, each with its output streaming live. */
export default function BusyPage() {
  const busy = useBusy();
  const now = useNow(true);
  const running = busy.data ?? [];
  return (
    <Box sx={{ py: 2 }}>
      <Title title="Running now" />
      <Stack spacing={2}>
        <Typography variant="h5" component="h1">Running now</Typography>
        {busy.isPending ? (
          <LinearProgress />
        ) : busy.error ? (
          <Alert severity="error">Could not load running executions: {(busy.error as Error).message}</Alert>
        ) : running.length === 0 ? (
          <SectionCard title="Nothing is running">
            <EmptyState message="No execution is running anywhere in the cluster. This page updates by itself." />
          </SectionCard>
        ) : (
          running.map((execution) => <RunningExecution key={execution.id} execution={execution} now={now} />)
        )}
      </Stack>
    </Box>
  );
}
