import { useState } from 'react';
import {
  Alert,
  Box,
  LinearProgress,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TablePagination,
  TableRow,
  Typography,
} from '@mui/material';
import { Title } from 'react-admin';
import type { AuditEntry } from '../api/types';
import { useAuditLog } from '../api/queries';
import { SectionCard } from '../components/SectionCard';
import { EmptyState } from '../components/EmptyState';
import { TimeText } from '../components/TimeText';
import { describeChange } from '../lib/audit';

const PAGE_SIZES = [25, 50, 100];

function AuditRow({ entry }: { entry: AuditEntry }) {
  return (
    <TableRow data-testid="audit-row" data-action={entry.action}>
      <TableCell><TimeText value={entry.time} /></TableCell>
      <TableCell>{entry.actor}</TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>{entry.address || '—'}</TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>{entry.action}</TableCell>
      <TableCell sx={{ wordBreak: 'break-all' }}>{entry.target || '—'}</TableCell>
      <TableCell>
        <Stack spacing={0.25}>
          {entry.changes.map((change) => (
            <Typography key={change.field} variant="body2" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
              {describeChange(change)}
            </Typography>
          ))}
        </Stack>
      </TableCell>
    </TableRow>
  );
}

/** Every write made through the API, newest first: who, from where, when and what changed. */
export default function AuditPage() {
  const [page, setPage] = useState(0);
  const [perPage, setPerPage] = useState(PAGE_SIZES[0]);
  const audit = useAuditLog(page, perPage);
  const entries = audit.data?.entries ?? [];
  return (
    <Box sx={{ py: 2 }}>
      <Title title="Audit log" />
      <SectionCard title="Audit log" testId="audit-card">
        {audit.isPending ? (
          <LinearProgress />
        ) : audit.error ? (
          <Alert severity="error">Could not load the audit log: {(audit.error as Error).message}</Alert>
        ) : entries.length === 0 && page === 0 ? (
          <EmptyState message="No write has been made through the API yet (or the entries are past their retention)." />
        ) : (
          <Box sx={{ overflowX: 'auto' }}>
            <Table size="small">
              <TableHead>
                <TableRow>
                  <TableCell>Time</TableCell>
                  <TableCell>Actor</TableCell>
                  <TableCell>Source</TableCell>
                  <TableCell>Action</TableCell>
                  <TableCell>Target</TableCell>
                  <TableCell>Change</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {entries.map((entry) => <AuditRow key={entry.seq} entry={entry} />)}
              </TableBody>
            </Table>
            <TablePagination
              component="div"
              count={audit.data?.total ?? 0}
              page={page}
              rowsPerPage={perPage}
              rowsPerPageOptions={PAGE_SIZES}
              onPageChange={(_, next) => setPage(next)}
              onRowsPerPageChange={(event) => {
                setPerPage(Number(event.target.value));
                setPage(0);
              }}
            />
          </Box>
        )}
      </SectionCard>
    </Box>
  );
}
