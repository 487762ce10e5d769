import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Box,
  Chip,
  LinearProgress,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TablePagination,
  TableRow,
  Tooltip,
  Typography,
} from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import type { Execution } from '../api/types';
import { useApi } from '../api/useApi';
import { ExecutionStateChip } from '../components/StatusChips';
import { EmptyState } from '../components/EmptyState';
import { KillButton } from '../components/KillButton';
import { OutputViewer } from '../components/OutputViewer';
import { useExecutionOutput } from '../components/useExecutionOutput';
import { executionState, parseNominalTime } from '../lib/execution';
import { formatDateTime, formatDuration, formatMillis } from '../lib/time';
import { useNow } from '../lib/useNow';

const ROWS_PER_PAGE = 10;

/** Polls faster while a run is going so its end shows up promptly. */
function refetchInterval(executions: Execution[] | undefined): number {
  const anyRunning = executions?.some((execution) => executionState(execution) === 'running');
  return anyRunning ? 2000 : 5000;
}

export function useJobExecutions(jobName: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['dkron', 'executions', jobName],
    // Outputs are left out here (limit 0); the viewer reads the one that is opened.
    queryFn: () => api.getExecutions(jobName, 0),
    refetchInterval: (query) => refetchInterval(query.state.data?.executions),
  });
}

function NominalTimeCell({ execution, timeZone }: { execution: Execution; timeZone?: string }) {
  const nominal = parseNominalTime(execution.group);
  if (!nominal) return <>–</>;
  return (
    <Tooltip title={`${nominal.isoMicros} (UTC)`}>
      <span>{formatMillis(nominal.millis, timeZone)}</span>
    </Tooltip>
  );
}

function ExecutionRow({
  execution,
  selected,
  onSelect,
  timeZone,
  now,
}: {
  execution: Execution;
  selected: boolean;
  onSelect: () => void;
  timeZone?: string;
  now: number;
}) {
  const state = executionState(execution);
  return (
    <TableRow
      hover
      selected={selected}
      onClick={onSelect}
      sx={{ cursor: 'pointer' }}
      data-testid="execution-row"
      data-execution-state={state}
    >
      <TableCell>
        <ExecutionStateChip state={state} />
        {execution.killed && <Chip size="small" variant="outlined" color="warning" label="killed" sx={{ ml: 0.5 }} />}
      </TableCell>
      <TableCell>{execution.node_name || '–'}</TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}><NominalTimeCell execution={execution} timeZone={timeZone} /></TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(execution.started_at, timeZone)}</TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDuration(execution.started_at, execution.finished_at, now)}</TableCell>
      <TableCell>{execution.attempt ?? 1}</TableCell>
    </TableRow>
  );
}

/** The newest running execution, else the newest one: what a visitor most likely wants to see. */
function defaultSelection(executions: Execution[]): Execution | null {
  return executions.find((execution) => executionState(execution) === 'running') ?? executions[0] ?? null;
}

/**
 * A job's executions, newest first, with the output of the selected one below the table
 * (live while it runs). Selecting never changes the table's layout.
 */
export function ExecutionsPanel({ jobName, timeZone }: { jobName: string; timeZone?: string }) {
  const { data, isPending, error } = useJobExecutions(jobName);
  const executions = useMemo(() => data?.executions ?? [], [data]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [page, setPage] = useState(0);
  const now = useNow(executions.some((execution) => executionState(execution) === 'running'));

  const selected = executions.find((execution) => execution.id === selectedId) ?? defaultSelection(executions);
  useEffect(() => setPage(0), [jobName]);
  const output = useExecutionOutput(selected);

  if (isPending) return <LinearProgress />;
  if (error) return <Alert severity="error">Could not load executions: {(error as Error).message}</Alert>;
  if (executions.length === 0) return <EmptyState message="No runs yet. Use “Run now” to start one." />;

  const pageRows = executions.slice(page * ROWS_PER_PAGE, (page + 1) * ROWS_PER_PAGE);
  return (
    <Box>
      <Box sx={{ overflowX: 'auto' }}>
        <Table size="small" data-testid="executions">
          <TableHead>
            <TableRow>
              <TableCell>Status</TableCell>
              <TableCell>Node</TableCell>
              <TableCell>Nominal time</TableCell>
              <TableCell>Started</TableCell>
              <TableCell>Duration</TableCell>
              <TableCell>Attempt</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {pageRows.map((execution) => (
              <ExecutionRow
                key={execution.id}
                execution={execution}
                selected={execution.id === selected?.id}
                onSelect={() => setSelectedId(execution.id)}
                timeZone={timeZone}
                now={now}
              />
            ))}
          </TableBody>
        </Table>
      </Box>
      {executions.length > ROWS_PER_PAGE && (
        <TablePagination
          component="div"
          count={data?.total ?? executions.length}
          page={page}
          rowsPerPage={ROWS_PER_PAGE}
          rowsPerPageOptions={[ROWS_PER_PAGE]}
          onPageChange={(_, next) => setPage(next)}
        />
      )}
      {selected && (
        <Box sx={{ mt: 2 }}>
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
            <Typography variant="subtitle2" gutterBottom>
              Output of the run started {formatDateTime(selected.started_at, timeZone)} on {selected.node_name || 'an unknown node'}
            </Typography>
            {executionState(selected) === 'running' && <KillButton execution={selected} />}
          </Box>
          <OutputViewer output={output} fileName={`${jobName}-${selected.id}.log`} />
        </Box>
      )}
    </Box>
  );
}
