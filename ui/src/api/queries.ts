import { useQuery } from '@tanstack/react-query';
import { useApi } from './useApi';

/** Cluster views refresh on their own; these intervals keep a dashboard current but calm. */
const CLUSTER_REFRESH_MS = 5000;
const BUSY_REFRESH_MS = 2000;

export function useMembers() {
  const api = useApi();
  return useQuery({ queryKey: ['dkron', 'members'], queryFn: () => api.getMembers(), refetchInterval: CLUSTER_REFRESH_MS });
}

export function usePlugins() {
  const api = useApi();
  return useQuery({ queryKey: ['dkron', 'plugins'], queryFn: () => api.getPlugins(), refetchInterval: CLUSTER_REFRESH_MS });
}

export function useLeader() {
  const api = useApi();
  return useQuery({ queryKey: ['dkron', 'leader'], queryFn: () => api.getLeader(), refetchInterval: CLUSTER_REFRESH_MS });
}

export function useBusy() {
  const api = useApi();
  return useQuery({ queryKey: ['dkron', 'busy'], queryFn: () => api.getBusy(), refetchInterval: BUSY_REFRESH_MS });
}

export function useSummary() {
  const api = useApi();
  return useQuery({ queryKey: ['dkron', 'summary'], queryFn: () => api.getSummary(), refetchInterval: CLUSTER_REFRESH_MS });
}

export function useNodeStatus() {
  const api = useApi();
  return useQuery({ queryKey: ['dkron', 'node'], queryFn: () => api.getNode(), staleTime: 60_000 });
}

/** One page of the audit log (`page` counts from 0), refreshed like the cluster views. */
export function useAuditLog(page: number, perPage: number) {
  const api = useApi();
  return useQuery({
    queryKey: ['dkron', 'audit', page, perPage],
    queryFn: () => api.getAudit(page * perPage, (page + 1) * perPage),
    refetchInterval: CLUSTER_REFRESH_MS,
  });
}
