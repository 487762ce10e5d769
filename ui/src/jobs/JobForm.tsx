import { useState, type ReactNode } from 'react';
import { Alert, Box, Divider, ToggleButton, ToggleButtonGroup, Typography } from '@mui/material';
import {
  BooleanInput,
  DateTimeInput,
  NumberInput,
  SelectInput,
  SimpleForm,
  TextInput,
  required,
} from 'react-admin';
import { useFormState, useWatch } from 'react-hook-form';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/useApi';
import { KeyValueInput } from '../components/KeyValueInput';
import { MONOSPACE } from '../layout/theme';
import { ExecutorFields } from './ExecutorFields';
import { SchedulePreviewPanel } from './SchedulePreviewPanel';
import { JsonEditor } from './JsonEditor';

/** What a new job starts with: a shell command every minute. */
export const NEW_JOB_DEFAULTS = {
  schedule: '@every 1m',
  timezone: '',
  executor: 'shell',
  executor_config: { shell: 'true', command: '' },
  concurrency: 'allow',
  retries: 0,
  disabled: false,
};

const CONCURRENCY_CHOICES = [
  { id: 'allow', name: 'allow: runs may overlap' },
  { id: 'forbid', name: 'forbid: skip a run while one is active' },
  { id: 'queue', name: 'queue: the next run waits for the active one' },
  { id: 'replace', name: 'replace: stop the active run, start the new one' },
];

const NOTIFY_CHOICES = [
  { id: 'always', name: 'always: every finished run' },
  { id: 'failure', name: 'failure: failed runs only' },
  { id: 'change', name: 'change: when the outcome changes' },
];

const MISFIRE_CHOICES = [
  { id: 'run_once', name: 'run_once: run the latest missed run' },
  { id: 'run_all', name: 'run_all: run every missed run' },
  { id: 'skip', name: 'skip: run none of them' },
];

const TIME_ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

const wide = { sx: { width: '100%' } };

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Box sx={{ width: '100%', mb: 1 }}>
      <Typography variant="h6" component="h2" sx={{ mt: 1 }}>
        {title}
      </Typography>
      <Divider sx={{ mb: 2 }} />
      {children}
    </Box>
  );
}

/** Text input with suggestions from a datalist; free text stays allowed (the server judges). */
function TimeZoneInput() {
  return (
    <>
      <TextInput
        source="timezone"
        label="Time zone"
        helperText="IANA name such as Europe/Berlin; empty: the server's zone"
        slotProps={{ htmlInput: { list: 'dkron-time-zones' } }}
        sx={{ minWidth: 280 }}
      />
      <datalist id="dkron-time-zones">
        {TIME_ZONES.map((zone) => <option key={zone} value={zone} />)}
      </datalist>
    </>
  );
}

/** Parent job name with suggestions from the server's search, so 10,000 jobs stay cheap. */
function ParentJobInput() {
  const api = useApi();
  const typed = (useWatch({ name: 'parent_job' }) as string | null) ?? '';
  const suggestions = useQuery({
    queryKey: ['dkron', 'parent-suggestions', typed],
    queryFn: () => api.searchJobNames(typed, 20),
    staleTime: 10_000,
  });
  return (
    <>
      <TextInput
        source="parent_job"
        label="Parent job"
        helperText="Run after this job succeeds; leave the schedule empty for a pure child job"
        slotProps={{ htmlInput: { list: 'dkron-parent-jobs' } }}
        sx={{ minWidth: 280 }}
      />
      <TextInput
        source="parent_jobs"
        label="More parents"
        helperText="Comma-separated; the job then runs once every parent has succeeded"
        format={(names: unknown) => (Array.isArray(names) ? names.join(', ') : '')}
        parse={(text: string) => (text ?? '').split(',').map((name) => name.trim())}
        sx={{ minWidth: 280 }}
      />
      <datalist id="dkron-parent-jobs">
        {(suggestions.data ?? []).map((name) => <option key={name} value={name} />)}
      </datalist>
    </>
  );
}

/** How the summary names the fields the server may blame (`X-Error-Field`). */
const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  schedule: 'Schedule',
  timezone: 'Time zone',
  concurrency: 'Concurrency',
  'executor_config.timeout': 'Timeout',
  'executor_config.mem_limit': 'Memory limit',
  parent_job: 'Parent job',
  parent_jobs: 'More parents',
  retry_backoff: 'Retry backoff',
  expires_at: 'Expires at',
};

/** Lists the server's refusals, which matters when the field at fault is hidden (JSON view). */
function ServerErrorSummary() {
  const { errors } = useFormState();
  const messages = Object.entries(flattenErrors(errors)).filter(([, error]) => error.type === 'server');
  if (messages.length === 0) return null;
  return (
    <Alert severity="error" sx={{ width: '100%', mb: 2 }} data-testid="server-errors">
      {messages.map(([field, error]) => (
        <div key={field}>
          <strong>{FIELD_LABELS[field] ?? field}</strong>: {error.message}
        </div>
      ))}
    </Alert>
  );
}

type FieldError = { type?: string; message?: string };

function flattenErrors(errors: Record<string, unknown>, prefix = ''): Record<string, FieldError> {
  const flat: Record<string, FieldError> = {};
  for (const [key, value] of Object.entries(errors)) {
    if (!value || typeof value !== 'object') continue;
    const error = value as FieldError;
    if (typeof error.message === 'string') flat[`${prefix}${key}`] = error;
    else Object.assign(flat, flattenErrors(value as Record<string, unknown>, `${prefix}${key}.`));
  }
  return flat;
}

function FormFields({ isEdit }: { isEdit: boolean }) {
  return (
    <>
      <Section title="Job">
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <TextInput
            source="name"
            label="Name"
            validate={required()}
            disabled={isEdit}
            helperText={isEdit ? 'The name identifies the job and cannot change' : 'Lowercase letters, digits, _ and -'}
            sx={{ minWidth: 260 }}
          />
          <TextInput source="displayname" label="Display name" sx={{ minWidth: 260 }} />
        </Box>
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <TextInput source="owner" label="Owner" />
          <TextInput source="owner_email" label="Owner email" type="email" />
        </Box>
        <BooleanInput source="disabled" label="Disabled (keeps the job but does not schedule it)" />
      </Section>
      <Section title="When">
        <TextInput
          source="schedule"
          label="Schedule"
          helperText="Cron with seconds (0 30 2 * * *), @every 10m, @daily, @at 2030-01-01T00:00:00Z, @manually"
          slotProps={{ htmlInput: { style: { fontFamily: MONOSPACE } } }}
          {...wide}
        />
        <TimeZoneInput />
        <SchedulePreviewPanel />
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <DateTimeInput source="starts_at" label="Starts at (optional)" />
          <DateTimeInput source="expires_at" label="Expires at (optional)" />
        </Box>
        <ParentJobInput />
      </Section>
      <Section title="What">
        <ExecutorFields />
      </Section>
      <Section title="How">
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <SelectInput source="concurrency" label="Concurrency" choices={CONCURRENCY_CHOICES} sx={{ minWidth: 260 }} />
          <NumberInput source="retries" label="Retries" min={0} helperText="Extra attempts after a failure" />
          <TextInput source="retry_backoff" label="Retry backoff" helperText="Go duration before the first retry, doubled after; empty: 0.5 s × attempt" />
          <TextInput source="timeout" label="Timeout" helperText="Go duration; the run is stopped after it (any executor)" />
        </Box>
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <SelectInput source="misfire_policy" label="Missed runs" choices={MISFIRE_CHOICES} emptyText="server's setting" sx={{ minWidth: 260 }} helperText="Runs missed while no scheduler ran" />
          <TextInput source="catch_up_window" label="Catch-up window" helperText="Go duration; older missed runs are skipped. Empty: the server's" />
        </Box>
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <SelectInput source="notify_on" label="Notify" choices={NOTIFY_CHOICES} emptyText="server's setting" sx={{ minWidth: 260 }} helperText="Which finished runs send the webhook and mail" />
          <NumberInput source="execution_retention" label="Runs kept" min={0} helperText="0: the server's setting" />
          <TextInput source="history_max_age" label="History kept for" helperText="Go duration, e.g. 720h. Empty: the server's" />
        </Box>
        <BooleanInput source="ephemeral" label="Ephemeral (delete the job after its first success)" />
        <KeyValueInput source="tags" label="Target tags" helperText="Run only on nodes with these tags; value or value:count (e.g. role: web:2)" />
        <KeyValueInput source="metadata" label="Metadata" helperText="Free labels; the jobs list can filter on them" />
        <Typography variant="body2" color="text.secondary">
          Processors are edited in the JSON view.
        </Typography>
      </Section>
    </>
  );
}

type EditorMode = 'form' | 'json';

/** Create and edit share this form: fields or raw JSON, with a live schedule preview. */
export function JobForm({ isEdit = false, defaultValues }: { isEdit?: boolean; defaultValues?: object }) {
  const [mode, setMode] = useState<EditorMode>('form');
  return (
    <SimpleForm defaultValues={defaultValues} sx={{ maxWidth: 960 }}>
      <ToggleButtonGroup
        size="small"
        exclusive
        value={mode}
        onChange={(_, next: EditorMode | null) => next && setMode(next)}
        sx={{ mb: 2 }}
      >
        <ToggleButton value="form">Form</ToggleButton>
        <ToggleButton value="json" data-testid="json-mode">JSON</ToggleButton>
      </ToggleButtonGroup>
      <ServerErrorSummary />
      {/* The fields stay mounted in JSON mode so server errors and values keep their place. */}
      <Box sx={{ display: mode === 'form' ? 'block' : 'none', width: '100%' }}>
        <FormFields isEdit={isEdit} />
      </Box>
      {mode === 'json' && <JsonEditor />}
    </SimpleForm>
  );
}
