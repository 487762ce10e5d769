import { useEffect, useState } from 'react';
import { Box, Button, IconButton, Stack, TextField, Typography } from '@mui/material';
import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/DeleteOutline';
import { useInput } from 'react-admin';

interface KeyValueInputProps {
  source: string;
  label: string;
  helperText?: string;
  keyLabel?: string;
  valueLabel?: string;
}

type Row = { key: string; value: string };

function rowsOf(map: unknown): Row[] {
  if (!map || typeof map !== 'object') return [];
  return Object.entries(map as Record<string, unknown>).map(([key, value]) => ({ key, value: String(value ?? '') }));
}

function mapOf(rows: Row[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const row of rows) if (row.key.trim() !== '') map[row.key.trim()] = row.value;
  return map;
}

/** Edits a string map (tags, metadata, a custom executor's config) as rows of key and value. */
export function KeyValueInput({ source, label, helperText, keyLabel = 'Key', valueLabel = 'Value' }: KeyValueInputProps) {
  const { field } = useInput({ source });
  // Rows are local so that a half-typed row with an empty key is not dropped while typing.
  const [rows, setRows] = useState<Row[]>(() => rowsOf(field.value));
  const serialized = JSON.stringify(field.value ?? {});
  useEffect(() => {
    if (JSON.stringify(mapOf(rows)) !== JSON.stringify(field.value ?? {})) setRows(rowsOf(field.value));
    // Only outside changes (JSON editor, reset) should replace the rows.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [serialized]);

  const update = (next: Row[]) => {
    setRows(next);
    field.onChange(mapOf(next));
  };
  const changeRow = (index: number, change: Partial<Row>) =>
    update(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));

  return (
    <Box sx={{ mb: 2 }}>
      <Typography variant="subtitle2">{label}</Typography>
      {helperText && (
        <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 1 }}>
          {helperText}
        </Typography>
      )}
      {rows.map((row, index) => (
        <Stack key={index} direction="row" spacing={1} sx={{ mb: 1, alignItems: 'center' }}>
          <TextField
            size="small"
            label={keyLabel}
            value={row.key}
            onChange={(event) => changeRow(index, { key: event.target.value })}
            inputProps={{ 'aria-label': `${label} ${keyLabel} ${index + 1}` }}
          />
          <TextField
            size="small"
            label={valueLabel}
            value={row.value}
            onChange={(event) => changeRow(index, { value: event.target.value })}
            sx={{ flex: 1 }}
            inputProps={{ 'aria-label': `${label} ${valueLabel} ${index + 1}` }}
          />
          <IconButton aria-label={`Remove ${row.key || 'row'}`} onClick={() => update(rows.filter((_, i) => i !== index))}>
            <DeleteIcon />
          </IconButton>
        </Stack>
      ))}
      <Button size="small" startIcon={<AddIcon />} onClick={() => setRows([...rows, { key: '', value: '' }])}>
        Add {label.toLowerCase()}
      </Button>
    </Box>
  );
}
