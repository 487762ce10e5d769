import type { ReactNode } from 'react';
import { Box, Chip, Link as MuiLink, Stack, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import type { Job, StringMap } from '../api/types';
import { SecretChip } from '../components/SecretHint';
import { TimeText } from '../components/TimeText';
import { MONOSPACE } from '../layout/theme';
import { formatDateTime, isNever } from '../lib/time';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0, minWidth: 0, wordBreak: 'break-word' }}>
        {children}
      </Typography>
    </>
  );
}

function MapChips({ map, empty = 'none' }: { map: StringMap | undefined; empty?: string }) {
  const entries = Object.entries(map ?? {});
  if (entries.length === 0) return <Muted>{empty}</Muted>;
  return (
    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5 }}>
      {entries.map(([key, value]) => (
        <Chip key={key} size="small" variant="outlined" label={`${key}: ${value}`} />
      ))}
    </Stack>
  );
}

function Muted({ children }: { children: ReactNode }) {
  return (
    <Box component="span" sx={{ color: 'text.secondary' }}>
      {children}
    </Box>
  );
}

/** A link to another job's page. */
export function JobLink({ name }: { name: string }) {
  return (
    <MuiLink component={Link} to={`/jobs/${encodeURIComponent(name)}/show`}>
      {name}
    </MuiLink>
  );
}

function ExecutorConfig({ config }: { config: StringMap | undefined }) {
  const entries = Object.entries(config ?? {});
  if (entries.length === 0) return <Muted>empty</Muted>;
  return (
    <Box component="dl" sx={{ m: 0, display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 1.5 }}>
      {entries.map(([key, value]) => (
        <Box key={key} sx={{ display: 'contents' }}>
          <Box component="dt" sx={{ color: 'text.secondary' }}>{key}</Box>
          <Box component="dd" sx={{ m: 0, fontFamily: MONOSPACE, fontSize: 13, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {value} <SecretChip value={value} />
          </Box>
        </Box>
      ))}
    </Box>
  );
}

function OptionalTime({ value, timeZone }: { value: string | null | undefined; timeZone?: string }) {
  if (isNever(value)) return <Muted>not set</Muted>;
  return <>{formatDateTime(value, timeZone)} ({timeZone || 'local'})</>;
}

function concurrencyText(policy: Job['concurrency']): string {
  switch (policy) {
    case 'forbid':
      return 'forbid (skip a run while one is active)';
    case 'queue':
      return 'queue (the next run waits for the active one)';
    case 'replace':
      return 'replace (a new run stops the active one)';
    default:
      return 'allow';
  }
}

/** `parent_job` and the extra `parent_jobs`, without repeats. */
export function jobParents(job: Job): string[] {
  const names = [job.parent_job ?? '', ...(job.parent_jobs ?? [])].filter((name) => name !== '');
  return [...new Set(names)];
}

/** Every field of a job, as a definition list. */
export function JobDetails({ job }: { job: Job }) {
  const children = job.dependent_jobs ?? [];
  const parents = jobParents(job);
  return (
    <Box
      component="dl"
      data-testid="job-details"
      sx={{ m: 0, display: 'grid', gridTemplateColumns: { xs: '1fr', sm: 'minmax(120px, auto) 1fr' }, columnGap: 2, rowGap: 1 }}
    >
      <Row label="Name">{job.name}</Row>
      <Row label="Display name">{job.displayname || <Muted>none</Muted>}</Row>
      <Row label="Owner">
        {job.owner || <Muted>none</Muted>}
        {job.owner_email && <> · <MuiLink href={`mailto:${job.owner_email}`}>{job.owner_email}</MuiLink></>}
      </Row>
      <Row label="Enabled">{job.disabled ? 'no (disabled)' : 'yes'}</Row>
      <Row label="Executor">{job.executor || <Muted>none (runs will fail)</Muted>}</Row>
      <Row label="Executor config"><ExecutorConfig config={job.executor_config} /></Row>
      <Row label="Concurrency">{concurrencyText(job.concurrency)}</Row>
      <Row label="Timeout">{job.timeout || <Muted>none</Muted>}</Row>
      <Row label="Notify">{job.notify_on || <Muted>server's setting</Muted>}</Row>
      <Row label="History kept">
        {job.execution_retention ? `${job.execution_retention} runs` : <Muted>server's count</Muted>}
        {job.history_max_age ? <Muted> · for {job.history_max_age}</Muted> : null}
      </Row>
      <Row label="Missed runs">
        {job.misfire_policy || <Muted>server's setting</Muted>}
        {job.catch_up_window && <Muted> · within {job.catch_up_window}</Muted>}
      </Row>
      <Row label="Retries">
        {job.retries ?? 0}
        {(job.retries ?? 0) > 0 && <Muted> · backoff {job.retry_backoff || 'default (0.5 s × attempt)'}</Muted>}
      </Row>
      <Row label="Parent jobs">
        {parents.length === 0 ? <Muted>none</Muted> : (
          <Stack direction="row" sx={{ flexWrap: 'wrap', columnGap: 1 }} data-testid="parent-jobs">
            {parents.map((name) => <JobLink key={name} name={name} />)}
          </Stack>
        )}
        {parents.length > 1 && <Muted> (runs once all have succeeded)</Muted>}
      </Row>
      <Row label="Dependent jobs">
        {children.length === 0 ? <Muted>none</Muted> : (
          <Stack direction="row" sx={{ flexWrap: 'wrap', columnGap: 1 }} data-testid="dependent-jobs">
            {children.map((name) => <JobLink key={name} name={name} />)}
          </Stack>
        )}
      </Row>
      <Row label="Target tags"><MapChips map={job.tags} empty="any server" /></Row>
      <Row label="Metadata"><MapChips map={job.metadata} /></Row>
      <Row label="Processors">
        {job.processors && Object.keys(job.processors).length > 0 ? (
          <Box component="pre" sx={{ m: 0, fontFamily: MONOSPACE, fontSize: 12 }}>{JSON.stringify(job.processors, null, 2)}</Box>
        ) : <Muted>none</Muted>}
      </Row>
      <Row label="Starts at"><OptionalTime value={job.starts_at} timeZone={job.timezone} /></Row>
      <Row label="Expires at"><OptionalTime value={job.expires_at} timeZone={job.timezone} /></Row>
      <Row label="Ephemeral">{job.ephemeral ? 'yes (deleted after its first success)' : 'no'}</Row>
      <Row label="Runs">{job.success_count ?? 0} succeeded, {job.error_count ?? 0} failed</Row>
      <Row label="Last success"><TimeText value={job.last_success} /></Row>
      <Row label="Last failure"><TimeText value={job.last_error} /></Row>
    </Box>
  );
}
