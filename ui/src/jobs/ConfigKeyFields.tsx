import { Box, FormControlLabel, MenuItem, Switch, TextField } from '@mui/material';
import { useFormContext, useFormState, useWatch } from 'react-hook-form';
import { SecretChip } from '../components/SecretHint';
import { REDACTED, holdsRedacted } from '../lib/secrets';
import { type ConfigKey, isTrue, withKey } from './executorKeys';

type Config = Record<string, string> | undefined;

/** The server's refusal of one config key (`X-Error-Field: executor_config.<key>`), if any. */
function serverError(errors: Record<string, unknown>, key: string): string | undefined {
  let node: unknown = errors.executor_config;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  const message = (node as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

function helperOf(entry: ConfigKey, value: string | undefined, error: string | undefined) {
  if (error) return error;
  if (entry.secret && holdsRedacted(value)) {
    return (
      <Box component="span" sx={{ display: 'inline-flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
        <SecretChip value={value} />
        <span>saving keeps the stored value wherever {REDACTED} is left as it is; type over it to change it</span>
      </Box>
    );
  }
  return entry.helper;
}

/** One key of `executor_config`, edited in place in the map (keys may hold dots). */
function ConfigKeyField({ entry }: { entry: ConfigKey }) {
  const { setValue } = useFormContext();
  const { errors } = useFormState();
  const config = useWatch({ name: 'executor_config' }) as Config;
  const value = config?.[entry.key];
  const change = (next: string) => setValue('executor_config', withKey(config, entry.key, next), { shouldDirty: true });
  const error = serverError(errors as Record<string, unknown>, entry.key);
  const testId = `config-${entry.key}`;

  if (entry.kind === 'flag' || entry.kind === 'debug') {
    const off = entry.kind === 'debug' ? '' : 'false';
    return (
      <FormControlLabel
        sx={{ display: 'flex' }}
        label={entry.label}
        control={<Switch checked={isTrue(value)} onChange={(event) => change(event.target.checked ? 'true' : off)} slotProps={{ input: { 'data-testid': testId } as object }} />}
      />
    );
  }
  return (
    <TextField
      label={entry.label}
      value={value ?? ''}
      onChange={(event) => change(event.target.value)}
      select={entry.kind === 'choice'}
      multiline={entry.kind === 'multiline'}
      minRows={entry.kind === 'multiline' ? 2 : undefined}
      error={Boolean(error)}
      helperText={helperOf(entry, value, error)}
      size="small"
      sx={entry.short ? { minWidth: 220, flex: 1 } : { width: '100%' }}
      slotProps={{ htmlInput: { 'data-testid': testId, name: `executor_config[${entry.key}]` } }}
    >
      {entry.kind === 'choice' && [<MenuItem key="" value="">none</MenuItem>, ...(entry.choices ?? []).map((choice) => <MenuItem key={choice} value={choice}>{choice}</MenuItem>)]}
    </TextField>
  );
}

/** The keys of one executor, short ones side by side. */
export function ConfigKeyFields({ keys }: { keys: ConfigKey[] }) {
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 2, mb: 2, width: '100%' }}>
      {keys.map((entry) => (
        <ConfigKeyField key={entry.key} entry={entry} />
      ))}
    </Box>
  );
}
