import { Alert, Box, Chip, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import type { PreviewOccurrence, SchedulePreview } from '../api/types';
import { formatDateTime, formatRelative } from '../lib/time';
import { MONOSPACE } from '../layout/theme';

const DST_EXPLANATION = {
  gap: 'Clocks jump forward around this run: runs planned in the skipped hour fire at this time instead.',
  overlap: 'This wall-clock time happens twice (clocks go back); the run fires once, at the first.',
};

function DstFlag({ occurrence }: { occurrence: PreviewOccurrence }) {
  if (!occurrence.dst) return null;
  return (
    <Tooltip title={DST_EXPLANATION[occurrence.dst]}>
      <Chip size="small" color="warning" variant="outlined" label={occurrence.dst === 'gap' ? 'DST gap' : 'DST overlap'} sx={{ ml: 1, fontFamily: 'inherit' }} />
    </Tooltip>
  );
}

/** The local wall time as the server wrote it (`2025-03-30T03:00:00+02:00`), made readable. */
function readableLocal(local: string): string {
  return local.replace('T', ' ').replace(/(\.\d+)?([+-]\d\d:\d\d|Z)$/, ' $2');
}

/** True when the zone's wall clock is UTC for every run shown, so one column is enough. */
function sameAsUtc(preview: SchedulePreview): boolean {
  return preview.occurrences.every((occurrence) => /(Z|[+-]00:00)$/.test(occurrence.local));
}

/** A table of upcoming run times, in the job's zone and in UTC, with DST warnings. */
export function NextRuns({ preview, emptyText }: { preview: SchedulePreview; emptyText?: string }) {
  if (preview.occurrences.length === 0) {
    return (
      <Alert severity="info" variant="outlined">
        {emptyText ?? 'No upcoming runs: the job runs only by hand, after its parent, or its schedule has ended.'}
      </Alert>
    );
  }
  const zone = preview.timezone || 'local';
  const showUtc = !sameAsUtc(preview);
  const timeCell = { fontFamily: MONOSPACE, fontSize: 13, whiteSpace: 'nowrap' } as const;
  // Wide rows (a DST flag, two zones) scroll inside the card instead of spilling out of it.
  return (
    <Box sx={{ overflowX: 'auto' }}>
      <Table size="small" data-testid="next-runs">
        <TableHead>
          <TableRow>
            <TableCell>{zone}</TableCell>
            {showUtc && <TableCell>UTC</TableCell>}
            <TableCell>When</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {preview.occurrences.map((occurrence, index) => (
            <TableRow key={occurrence.time + index}>
              <TableCell sx={timeCell}>
                {readableLocal(occurrence.local)} <DstFlag occurrence={occurrence} />
              </TableCell>
              {showUtc && <TableCell sx={timeCell}>{formatDateTime(occurrence.time, 'UTC')}</TableCell>}
              <TableCell>
                <Typography variant="body2" color="text.secondary" sx={{ whiteSpace: 'nowrap' }}>
                  {formatRelative(occurrence.time)}
                </Typography>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
