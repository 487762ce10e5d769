import { useEffect, useState } from 'react';
import type { Execution } from '../api/types';
import { useApi } from '../api/useApi';
import { apiUrl, segment } from '../api/http';
import { parseApiJson } from '../api/json';
import { executionState } from '../lib/execution';
import { appendCapped } from '../lib/output';

export interface ExecutionOutput {
  text: string;
  /** True while the stream is open and more output may come. */
  live: boolean;
  loading: boolean;
  error: string | null;
  /** The finished execution, once the stream said `done` or the stored one was read. */
  finished: Execution | null;
}

/** How often to look again when the live stream cannot be opened. */
const FALLBACK_POLL_MS = 2000;

/**
 * The output of one execution: streamed over server-sent events while it runs (`output`
 * appends, `reset` replaces, `done` ends), read once when it has finished.
 */
export function useExecutionOutput(execution: Execution | null): ExecutionOutput {
  const api = useApi();
  const [output, setOutput] = useState<ExecutionOutput>(emptyOutput(true));
  const jobName = execution?.job_name ?? '';
  const executionId = execution?.id ?? '';
  const running = execution ? executionState(execution) === 'running' : false;

  useEffect(() => {
    if (!jobName || !executionId) {
      setOutput(emptyOutput(false));
      return;
    }
    setOutput(emptyOutput(true));
    if (!running) return readStoredOutput(api, jobName, executionId, setOutput);
    return streamOutput(api, jobName, executionId, setOutput);
    // `running` only picks how to start; the stream itself reports the end.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, jobName, executionId]);

  return output;
}

function emptyOutput(loading: boolean): ExecutionOutput {
  return { text: '', live: false, loading, error: null, finished: null };
}

type SetOutput = (update: (previous: ExecutionOutput) => ExecutionOutput) => void;
type Api = ReturnType<typeof useApi>;

function readStoredOutput(api: Api, jobName: string, executionId: string, setOutput: SetOutput): () => void {
  let cancelled = false;
  api
    .getExecution(jobName, executionId)
    .then((stored) => {
      if (cancelled) return;
      setOutput(() => ({ text: stored.output ?? '', live: false, loading: false, error: null, finished: stored }));
    })
    .catch((error: Error) => {
      if (!cancelled) setOutput((previous) => ({ ...previous, loading: false, error: error.message }));
    });
  return () => {
    cancelled = true;
  };
}

function streamOutput(api: Api, jobName: string, executionId: string, setOutput: SetOutput): () => void {
  const url = apiUrl(`/jobs/${segment(jobName)}/executions/${segment(executionId)}/stream`);
  const source = new EventSource(url);
  let receivedAnything = false;
  let stopPolling: (() => void) | null = null;

  const textOf = (event: MessageEvent) => (parseApiJson<{ text?: string }>(event.data).text ?? '');
  source.addEventListener('output', (event) => {
    receivedAnything = true;
    const appended = textOf(event as MessageEvent);
    setOutput((previous) => ({ ...previous, text: appendCapped(previous.text, appended), live: true, loading: false }));
  });
  source.addEventListener('reset', (event) => {
    receivedAnything = true;
    const whole = textOf(event as MessageEvent);
    setOutput((previous) => ({ ...previous, text: whole, live: true, loading: false }));
  });
  source.addEventListener('done', (event) => {
    // Closing here keeps EventSource from reconnecting once the server ends the stream.
    source.close();
    const finished = parseApiJson<Execution>((event as MessageEvent).data);
    setOutput((previous) => ({
      text: finished.output ?? previous.text,
      live: false,
      loading: false,
      error: null,
      finished,
    }));
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || !receivedAnything) {
      // No stream (older server, proxy, or the run vanished): poll the running runs instead.
      source.close();
      if (!stopPolling) stopPolling = pollBusyOutput(api, jobName, executionId, setOutput);
    }
  };
  return () => {
    source.close();
    stopPolling?.();
  };
}

function pollBusyOutput(api: Api, jobName: string, executionId: string, setOutput: SetOutput): () => void {
  let stopped = false;
  const poll = async () => {
    if (stopped) return;
    try {
      const running = (await api.getBusy()).find((execution) => execution.id === executionId);
      if (stopped) return;
      if (running) {
        setOutput((previous) => ({ ...previous, text: running.output ?? '', live: true, loading: false }));
        window.setTimeout(poll, FALLBACK_POLL_MS);
        return;
      }
      const stored = await api.getExecution(jobName, executionId);
      if (stopped) return;
      if (executionState(stored) === 'running') {
        // Not on any node's running list, not finished in the store yet: its result is on
        // its way; look again.
        setOutput((previous) => ({ ...previous, text: stored.output || previous.text, live: true, loading: false }));
        window.setTimeout(poll, FALLBACK_POLL_MS);
        return;
      }
      setOutput(() => ({ text: stored.output ?? '', live: false, loading: false, error: null, finished: stored }));
    } catch (error) {
      if (!stopped) setOutput((previous) => ({ ...previous, loading: false, error: (error as Error).message }));
    }
  };
  void poll();
  return () => {
    stopped = true;
  };
}
