// Shapes of the dkron REST API (/v1), as documented in docs/api.md and crates/api/openapi.yaml.

/** A map of strings; the API sends `null` for an empty map. */
export type StringMap = Record<string, string> | null;

export type JobStatus = '' | 'success' | 'failed' | 'partially_failed';

export interface Job {
  id: string;
  name: string;
  displayname?: string;
  timezone?: string;
  schedule?: string;
  owner?: string;
  owner_email?: string;
  success_count?: number;
  error_count?: number;
  last_success?: string | null;
  last_error?: string | null;
  disabled?: boolean;
  tags?: StringMap;
  metadata?: StringMap;
  retries?: number;
  dependent_jobs?: string[] | null;
  parent_job?: string;
  /** More parents (dkron-rs addition): the job runs once all of them succeeded. */
  parent_jobs?: string[] | null;
  /** Go duration before the first retry, doubled for each further one (dkron-rs addition). */
  retry_backoff?: string;
  processors?: Record<string, StringMap> | null;
  concurrency?: 'allow' | 'forbid' | 'queue' | 'replace' | '';
  /** Go duration: longest a run may take, any executor (dkron-rs addition). */
  timeout?: string;
  /** What to do with missed runs: skip, run_once, run_all; empty: the server's (dkron-rs addition). */
  misfire_policy?: '' | 'skip' | 'run_once' | 'run_all';
  /** Go duration: how late a missed run may still run; empty: the server's (dkron-rs addition). */
  catch_up_window?: string;
  /** Which finished runs are notified: always, failure, change; empty: the server's (dkron-rs addition). */
  notify_on?: '' | 'always' | 'failure' | 'change';
  /** Executions kept for this job; 0: the server's (dkron-rs addition). */
  execution_retention?: number;
  /** Go duration: history older than this is deleted; empty: the server's (dkron-rs addition). */
  history_max_age?: string;
  executor?: string;
  executor_config?: StringMap;
  status?: JobStatus;
  next?: string;
  ephemeral?: boolean;
  starts_at?: string | null;
  expires_at?: string | null;
}

export interface Execution {
  id: string;
  job_name: string;
  started_at?: string;
  finished_at?: string;
  success?: boolean;
  output?: string;
  node_name?: string;
  /** Nominal time in nanoseconds since the epoch, kept as a decimal string (exceeds 2^53). */
  group?: string;
  attempt?: number;
  output_truncated?: boolean;
  /** True when the run was killed on request. */
  killed?: boolean;
}

export type OccurrenceTrigger = 'schedule' | 'catch_up' | 'manual' | 'parent';
export type OccurrenceState = 'launched' | 'succeeded' | 'failed' | 'skipped' | 'lost';

export interface LedgerRun {
  execution_id: string;
  node_name: string;
  exit_code: number | null;
  success: boolean | null;
}

export interface LedgerEntry {
  job_name: string;
  nominal_time: string;
  trigger: OccurrenceTrigger;
  state: OccurrenceState;
  reason: string;
  decided_at: string;
  runs: LedgerRun[];
}

export interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string> | null;
  Status: number;
  id?: string;
  statusText?: 'none' | 'alive' | 'leaving' | 'left' | 'failed';
}

/** One Dkron plugin binary of the server the UI talks to (`GET /v1/plugins`). */
export interface PluginInfo {
  name: string;
  kind: 'executor' | 'processor';
  path: string;
  state: 'starting' | 'running' | 'failed' | 'exited' | 'stopped';
  protocol?: 'grpc' | 'netrpc';
  pid?: number;
  started_at?: string;
  restarts: number;
  last_error?: string;
}

export interface NodeStatus {
  agent?: { name?: string; version?: string };
  serf?: Record<string, string>;
  tags?: Record<string, string>;
}

export type DstFlag = null | 'gap' | 'overlap';

export interface PreviewOccurrence {
  time: string;
  local: string;
  dst: DstFlag;
}

export interface SchedulePreview {
  schedule: string;
  timezone: string;
  occurrences: PreviewOccurrence[];
}

export interface Summary {
  jobs: {
    total: number;
    disabled: number;
    success: number;
    failed: number;
    partially_failed: number;
    untriggered: number;
  };
  last_hour: {
    succeeded: number;
    failed: number;
    failed_jobs: { name: string; last_error: string }[];
  };
  /** How the leader's scheduler keeps up; null when no scheduler answered. */
  scheduler?: SchedulerHealth | null;
}

/** The leader's scheduler: how far behind the schedules it is (dkron-rs only). */
export interface SchedulerHealth {
  leader: string;
  lag_seconds: number;
  behind: boolean;
  behind_since?: string | null;
  max_lag_seconds: number;
  occurrences_overloaded: number;
}

/** One changed field of an audited write; secret fields list changed keys, never values. */
export interface AuditChange {
  field: string;
  from?: string;
  to?: string;
  keys?: string[];
}

/** One write as the audit log keeps it (dkron-rs only). */
export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  address: string;
  action: string;
  target: string;
  changes: AuditChange[];
}
