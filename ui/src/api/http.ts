import { HttpError } from 'react-admin';
import { parseApiJson } from './json';
import { authorizationHeader } from './token';

/** The API root: same origin as the UI. */
export const API_ROOT = '/v1';

export type QueryValue = string | number | boolean | undefined | null;

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

/** Builds `/v1/<path>?query`, leaving out empty query values. */
export function apiUrl(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const search = params.toString();
  return `${API_ROOT}${path}${search ? `?${search}` : ''}`;
}

/** Percent-encodes a job or execution name for use as one path segment. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}

/**
 * Calls the API and parses the JSON answer.
 *
 * Errors are plain-text bodies; they become an HttpError whose message is that text. When the
 * server names the job field at fault (`X-Error-Field`), the error body carries
 * `{ errors: { [field]: message } }`, which react-admin forms show under that field.
 */
export async function apiRequest<T>(path: string, request: ApiRequest = {}): Promise<ApiResponse<T>> {
  const { method = 'GET', query, body, signal } = request;
  const response = await fetch(apiUrl(path, query), {
    method,
    signal,
    headers: {
      ...authorizationHeader(),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401) unauthorizedHandler(text.trim());
    throw errorFromResponse(response, text);
  }
  const data = text === '' ? (null as T) : parseApiJson<T>(text);
  return { data, headers: response.headers, status: response.status };
}

/** What to do when the server asks for a token (ACLs on, none or a bad one sent). */
let unauthorizedHandler: (message: string) => void = () => {};

/** Sets what happens on a 401 answer: the app shows its token sign-in page. */
export function onUnauthorized(handler: (message: string) => void): void {
  unauthorizedHandler = handler;
}

function errorFromResponse(response: Response, text: string): HttpError {
  const message = text.trim() || `${response.status} ${response.statusText}`;
  const field = response.headers.get('X-Error-Field');
  const body = field ? { errors: { [field]: message }, message } : { message };
  return new HttpError(message, response.status, body);
}

/** Reads the `X-Total-Count` header, falling back to the number of items received. */
export function totalCount(headers: Headers, fallback: number): number {
  const header = headers.get('X-Total-Count');
  const parsed = header === null ? NaN : Number.parseInt(header, 10);
  return Number.isFinite(parsed) ? parsed : fallback;
}
