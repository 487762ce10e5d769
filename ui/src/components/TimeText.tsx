import { Tooltip, Typography } from '@mui/material';
import { formatDateTime, formatRelative, isNever } from '../lib/time';

interface TimeTextProps {
  value: string | null | undefined;
  /** Zone for the absolute time in the tooltip; the browser's when absent. */
  timeZone?: string;
  /** What to show for the zero or missing time. */
  neverText?: string;
}

/** A time as "3 min ago" with the exact time (and UTC) on hover. */
export function TimeText({ value, timeZone, neverText = 'never' }: TimeTextProps) {
  if (isNever(value)) {
    return (
      <Typography component="span" variant="body2" color="text.secondary">
        {neverText}
      </Typography>
    );
  }
  const exact = `${formatDateTime(value, timeZone)}${timeZone ? ` (${timeZone})` : ''} · ${formatDateTime(value, 'UTC')} UTC`;
  return (
    <Tooltip title={exact}>
      <Typography component="span" variant="body2" sx={{ whiteSpace: 'nowrap' }}>
        {formatRelative(value)}
      </Typography>
    </Tooltip>
  );
}
