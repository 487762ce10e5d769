import { Box, Typography } from '@mui/material';
import type { ReactNode } from 'react';

/** A quiet message for an empty table or panel, with an optional action. */
export function EmptyState({ message, action }: { message: string; action?: ReactNode }) {
  return (
    <Box sx={{ py: 3, px: 2, textAlign: 'center' }}>
      <Typography variant="body2" color="text.secondary" gutterBottom={Boolean(action)}>
        {message}
      </Typography>
      {action}
    </Box>
  );
}
