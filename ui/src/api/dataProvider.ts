import type {
  CreateParams,
  DataProvider,
  DeleteManyParams,
  DeleteParams,
  GetListParams,
  GetManyParams,
  GetOneParams,
  Identifier,
  RaRecord,
  UpdateParams,
} from 'react-admin';
import { HttpError } from 'react-admin';
import { apiRequest, segment, totalCount, type QueryValue } from './http';
import type {
  AuditEntry,
  Execution,
  Job,
  LedgerEntry,
  Member,
  NodeStatus,
  PluginInfo,
  SchedulePreview,
  Summary,
} from './types';
import { toJobPayload } from '../lib/jobPayload';
import { parseMetadataFilter } from '../lib/metadataFilter';

/** Sort fields the server accepts for `/v1/jobs`; anything else falls back to the name. */
const SORTABLE_JOB_FIELDS = new Set([
  'id',
  'name',
  'displayname',
  'schedule',
  'success_count',
  'error_count',
  'last_success',
  'last_error',
  'next',
]);

/** Jobs are identified by name; the create echo carries `"id":""`, so set it here. */
function withId(job: Job): Job & RaRecord {
  return { ...job, id: job.name };
}

function jobPath(name: Identifier): string {
  return `/jobs/${segment(String(name))}`;
}

function onlyJobs(resource: string): void {
  if (resource !== 'jobs') {
    throw new HttpError(`unknown resource ${resource}`, 404);
  }
}

/** Turns react-admin's list parameters into the server's paging, sorting and filter query. */
export function jobListQuery(params: GetListParams): Record<string, QueryValue> {
  const { page, perPage } = params.pagination ?? { page: 1, perPage: 25 };
  const sortField = params.sort?.field;
  const query: Record<string, QueryValue> = {
    _start: (page - 1) * perPage,
    _end: page * perPage,
    _sort: sortField && SORTABLE_JOB_FIELDS.has(sortField) ? sortField : 'name',
    _order: params.sort?.order === 'DESC' ? 'DESC' : 'ASC',
  };
  const filter = params.filter ?? {};
  if (filter.q) query.q = filter.q;
  if (filter.status) query.status = filter.status;
  if (filter.disabled !== undefined && filter.disabled !== '') query.disabled = String(filter.disabled);
  for (const [key, value] of Object.entries(parseMetadataFilter(filter.metadata))) {
    query[`metadata[${key}]`] = value;
  }
  return query;
}

/** Deletes jobs, retrying those refused because a child listed later still existed. */
async function deleteJobsChildrenFirst(names: Identifier[]): Promise<Identifier[]> {
  let pending = [...names];
  const deleted: Identifier[] = [];
  for (let round = 0; round < 5 && pending.length > 0; round++) {
    const refused: Identifier[] = [];
    let lastError: unknown = null;
    for (const name of pending) {
      try {
        await apiRequest(jobPath(name), { method: 'DELETE' });
        deleted.push(name);
      } catch (error) {
        if (!(error instanceof HttpError) || error.status !== 409) throw error;
        refused.push(name);
        lastError = error;
      }
    }
    if (refused.length === pending.length) throw lastError;
    pending = refused;
  }
  return deleted;
}

/** react-admin's side: the `jobs` resource, paged, sorted and filtered by the server. */
const jobsDataProvider = {
  async getList(resource: string, params: GetListParams) {
    onlyJobs(resource);
    const { data, headers } = await apiRequest<Job[]>('/jobs', {
      query: jobListQuery(params),
      signal: params.signal,
    });
    const jobs = (data ?? []).map(withId);
    return { data: jobs, total: totalCount(headers, jobs.length) };
  },
  async getOne(resource: string, params: GetOneParams) {
    onlyJobs(resource);
    const { data } = await apiRequest<Job>(jobPath(params.id), { signal: params.signal });
    return { data: withId(data) };
  },
  async getMany(resource: string, params: GetManyParams) {
    onlyJobs(resource);
    const jobs = await Promise.all(
      params.ids.map((id: Identifier) => apiRequest<Job>(jobPath(id)).then((response) => withId(response.data))),
    );
    return { data: jobs };
  },
  async getManyReference() {
    throw new HttpError('references are not supported', 400);
  },
  async create(resource: string, params: CreateParams) {
    onlyJobs(resource);
    const { data } = await apiRequest<Job>('/jobs', { method: 'POST', body: toJobPayload(params.data) });
    return { data: withId(data) };
  },
  async update(resource: string, params: UpdateParams) {
    onlyJobs(resource);
    const { data } = await apiRequest<Job>(jobPath(params.id), {
      method: 'PUT',
      body: toJobPayload(params.data),
    });
    return { data: withId(data) };
  },
  async updateMany() {
    throw new HttpError('use the enable, disable or run actions', 400);
  },
  async delete(resource: string, params: DeleteParams) {
    onlyJobs(resource);
    const { data } = await apiRequest<Job>(jobPath(params.id), { method: 'DELETE' });
    return { data: withId(data) };
  },
  async deleteMany(resource: string, params: DeleteManyParams) {
    onlyJobs(resource);
    return { data: await deleteJobsChildrenFirst(params.ids) };
  },
} as unknown as DataProvider;

/** The API's other calls, used by the pages through useApi(). */
const dkronCalls = {
  /** Names of jobs containing the text, for suggestions (the server searches and pages). */
  async searchJobNames(text: string, limit: number): Promise<string[]> {
    const { data } = await apiRequest<Job[]>('/jobs', { query: { q: text, _start: 0, _end: limit } });
    return (data ?? []).map((job) => job.name);
  },
  async runJob(name: string): Promise<Job> {
    return (await apiRequest<Job>(`${jobPath(name)}/run`, { method: 'POST' })).data;
  },
  async toggleJob(name: string): Promise<Job> {
    return (await apiRequest<Job>(`${jobPath(name)}/toggle`, { method: 'POST' })).data;
  },
  /** Sets `disabled` to the wanted value, toggling only when the job is not already there. */
  async setJobDisabled(name: string, disabled: boolean): Promise<Job> {
    const current = (await apiRequest<Job>(jobPath(name))).data;
    if (Boolean(current.disabled) === disabled) return current;
    return dkronCalls.toggleJob(name);
  },
  async getExecutions(name: string, outputSizeLimit: number): Promise<{ executions: Execution[]; total: number }> {
    const { data, headers } = await apiRequest<Execution[]>(`${jobPath(name)}/executions`, {
      query: { output_size_limit: outputSizeLimit },
    });
    const executions = data ?? [];
    return { executions, total: totalCount(headers, executions.length) };
  },
  /** Stops a running execution; answers with the execution as it was just before. */
  async killExecution(name: string, executionId: string): Promise<Execution> {
    const path = `${jobPath(name)}/executions/${segment(executionId)}/kill`;
    return (await apiRequest<Execution>(path, { method: 'POST' })).data;
  },
  async getExecution(name: string, executionId: string): Promise<Execution> {
    return (await apiRequest<Execution>(`${jobPath(name)}/executions/${segment(executionId)}`)).data;
  },
  async getLedger(name: string, limit: number): Promise<{ entries: LedgerEntry[]; total: number }> {
    const { data, headers } = await apiRequest<LedgerEntry[]>(`${jobPath(name)}/ledger`, { query: { limit } });
    const entries = data ?? [];
    return { entries, total: totalCount(headers, entries.length) };
  },
  async previewSchedule(
    schedule: string,
    timezone: string,
    jobName: string,
    count: number,
    signal?: AbortSignal,
  ): Promise<SchedulePreview> {
    const query = { schedule, timezone, job: jobName, count };
    return (await apiRequest<SchedulePreview>('/schedule/preview', { query, signal })).data;
  },
  async previewJob(name: string, count: number): Promise<SchedulePreview> {
    return (await apiRequest<SchedulePreview>(`${jobPath(name)}/preview`, { query: { count } })).data;
  },
  async getBusy(): Promise<Execution[]> {
    return (await apiRequest<Execution[]>('/busy')).data ?? [];
  },
  async getMembers(): Promise<Member[]> {
    return (await apiRequest<Member[]>('/members')).data ?? [];
  },
  async getPlugins(): Promise<PluginInfo[]> {
    return (await apiRequest<PluginInfo[]>('/plugins')).data ?? [];
  },
  /** Returns the leader, or null while the cluster has none (404 during elections). */
  async getLeader(): Promise<Member | null> {
    try {
      return (await apiRequest<Member>('/leader')).data;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return null;
      throw error;
    }
  },
  async getNode(): Promise<NodeStatus> {
    return (await apiRequest<NodeStatus>('')).data;
  },
  async getPaused(): Promise<boolean> {
    return (await apiRequest<{ paused: boolean }>('/pause')).data.paused;
  },
  async setPaused(paused: boolean): Promise<boolean> {
    const path = paused ? '/pause' : '/unpause';
    return (await apiRequest<{ paused: boolean }>(path, { method: 'POST' })).data.paused;
  },
  async getSummary(): Promise<Summary> {
    return (await apiRequest<Summary>('/summary')).data;
  },
  /** A page of the audit log, newest first, and how many entries it holds. */
  async getAudit(start: number, end: number): Promise<{ entries: AuditEntry[]; total: number }> {
    const { data, headers } = await apiRequest<AuditEntry[]>('/audit', { query: { _start: start, _end: end } });
    const entries = data ?? [];
    return { entries, total: totalCount(headers, entries.length) };
  },
};

/** The data provider given to react-admin, with dkron's extra calls. */
export const dataProvider = { ...jobsDataProvider, ...dkronCalls };

export type DkronDataProvider = typeof dataProvider;
