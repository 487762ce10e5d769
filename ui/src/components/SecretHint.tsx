import type { ReactNode } from 'react';
import { Chip, Stack } from '@mui/material';
import LockOutlinedIcon from '@mui/icons-material/LockOutlined';
import { useWatch } from 'react-hook-form';
import { REDACTED, holdsRedacted, redactedCount } from '../lib/secrets';

/** A chip saying that a value holds secrets the server keeps hidden. */
export function SecretChip({ value }: { value: unknown }) {
  if (!holdsRedacted(value)) return null;
  const count = redactedCount(value);
  return (
    <Chip
      size="small"
      variant="outlined"
      icon={<LockOutlinedIcon />}
      label={count > 1 ? `${count} secrets, set` : 'secret, set'}
      data-testid="secret-set"
    />
  );
}

/**
 * Helper text for a form field that may hold secrets: while the value shows the placeholder,
 * says that saving keeps the stored secret; otherwise shows `fallback`.
 */
export function SecretHelper({ source, fallback }: { source: string; fallback?: ReactNode }) {
  const value = useWatch({ name: source });
  if (!holdsRedacted(value)) return <>{fallback}</>;
  return (
    <Stack component="span" direction="row" sx={{ alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
      <SecretChip value={value} />
      <span>saving keeps the stored value wherever {REDACTED} is left as it is; type over it to change it</span>
    </Stack>
  );
}
