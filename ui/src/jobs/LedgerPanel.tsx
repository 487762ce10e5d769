import { Alert, LinearProgress, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import type { LedgerEntry, LedgerRun } from '../api/types';
import { useApi } from '../api/useApi';
import { OccurrenceStateChip } from '../components/StatusChips';
import { EmptyState } from '../components/EmptyState';
import { formatDateTime } from '../lib/time';

const LEDGER_LIMIT = 50;

const TRIGGER_WORDS: Record<string, string> = {
  schedule: 'schedule',
  catch_up: 'catch-up',
  manual: 'by hand',
  parent: 'after parent',
};

function runSummary(run: LedgerRun): string {
  const outcome = run.success === null ? 'running' : run.success ? 'ok' : `failed${run.exit_code !== null ? ` (exit ${run.exit_code})` : ''}`;
  return `${run.node_name || '?'}: ${outcome}`;
}

function LedgerRow({ entry, timeZone }: { entry: LedgerEntry; timeZone?: string }) {
  return (
    <TableRow>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDateTime(entry.nominal_time, timeZone)}</TableCell>
      <TableCell>{TRIGGER_WORDS[entry.trigger] ?? entry.trigger}</TableCell>
      <TableCell><OccurrenceStateChip state={entry.state} /></TableCell>
      <TableCell>
        {entry.reason && <Typography variant="body2">{entry.reason}</Typography>}
        {entry.runs.length > 0 && (
          <Typography variant="caption" color="text.secondary">
            {entry.runs.map(runSummary).join(' · ')}
          </Typography>
        )}
      </TableCell>
    </TableRow>
  );
}

/** What became of each recent occurrence: launched, succeeded, failed, skipped or lost, and why. */
export function LedgerPanel({ jobName, timeZone }: { jobName: string; timeZone?: string }) {
  const api = useApi();
  const { data, isPending, error } = useQuery({
    queryKey: ['dkron', 'ledger', jobName],
    queryFn: () => api.getLedger(jobName, LEDGER_LIMIT),
    refetchInterval: 10_000,
  });
  if (isPending) return <LinearProgress />;
  if (error) return <Alert severity="error">Could not load the ledger: {(error as Error).message}</Alert>;
  if (data.entries.length === 0) return <EmptyState message="No occurrences recorded yet." />;
  return (
    <Table size="small" data-testid="ledger">
      <TableHead>
        <TableRow>
          <TableCell>Nominal time</TableCell>
          <TableCell>Trigger</TableCell>
          <TableCell>Outcome</TableCell>
          <TableCell>Reason / runs</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {data.entries.map((entry) => (
          <LedgerRow key={`${entry.nominal_time}-${entry.trigger}-${entry.decided_at}`} entry={entry} timeZone={timeZone} />
        ))}
      </TableBody>
    </Table>
  );
}
