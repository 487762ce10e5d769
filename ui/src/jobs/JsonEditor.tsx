import { useState } from 'react';
import { Alert, Box, TextField } from '@mui/material';
import { useFormContext } from 'react-hook-form';
import { toJobPayload } from '../lib/jobPayload';
import { MONOSPACE } from '../layout/theme';

/** The form's values as the JSON body the server will receive. */
export function formValuesAsJson(values: Record<string, unknown>): string {
  return JSON.stringify(toJobPayload(values), null, 2);
}

/**
 * Edits the whole job as JSON. Every valid edit is written into the form at once, so
 * saving and switching back to the fields both see it.
 */
export function JsonEditor() {
  const { getValues, setValue } = useFormContext();
  const [text, setText] = useState(() => formValuesAsJson(getValues()));
  const [problem, setProblem] = useState<string | null>(null);

  const apply = (nextText: string) => {
    setText(nextText);
    let parsed: unknown;
    try {
      parsed = JSON.parse(nextText);
    } catch (error) {
      setProblem(`Not valid JSON yet: ${(error as Error).message}`);
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      setProblem('A job is a JSON object: { "name": …, "schedule": … }');
      return;
    }
    setProblem(null);
    const job = parsed as Record<string, unknown>;
    const current = getValues();
    for (const key of new Set([...Object.keys(current), ...Object.keys(job)])) {
      if (key === 'id') continue;
      setValue(key, job[key] ?? null, { shouldDirty: true });
    }
  };

  return (
    <Box sx={{ width: '100%' }}>
      <TextField
        value={text}
        onChange={(event) => apply(event.target.value)}
        multiline
        minRows={18}
        fullWidth
        label="Job as JSON"
        slotProps={{ htmlInput: { spellCheck: false, 'data-testid': 'job-json', style: { fontFamily: MONOSPACE, fontSize: 13 } } }}
      />
      {problem && <Alert severity="warning" sx={{ mt: 1 }}>{problem}</Alert>}
    </Box>
  );
}
