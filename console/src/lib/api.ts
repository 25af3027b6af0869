/**
 * The management API client. The browser sends the `rk_session` cookie the login route set
 * (same origin), so no token is ever held in JavaScript.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** For a 400: each refused field's path (`definition.children[1].days`) and what is wrong. */
    readonly errors: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * Called when any request is refused with 401 after the session was established (it expired or
 * was revoked): the session provider registers it to return to the login page.
 */
let onUnauthorized: (() => void) | null = null;
export const setUnauthorizedHandler = (f: (() => void) | null): void => {
  onUnauthorized = f;
};

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const errorMessage = (status: number, body: unknown): string => {
  if (typeof body === 'object' && body !== null) {
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b.error === 'string') return b.error;
    if (typeof b.message === 'string') return b.message;
  }
  return `HTTP ${status}`;
};

const fieldErrors = (body: unknown): { path: string; message: string }[] => {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    if (typeof e !== 'object' || e === null) return [];
    const { path, message } = e as { path?: unknown; message?: unknown };
    return typeof path === 'string' && typeof message === 'string' ? [{ path, message }] : [];
  });
};

export const request = async <T>(method: Method, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = null;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = text;
    }
  }
  // A refused login is a wrong password, not an expired session.
  if (res.status === 401 && path !== '/v1/auth/login' && path !== '/v1/auth/me') onUnauthorized?.();
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, parsed), fieldErrors(parsed));
  return parsed as T;
};

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body ?? {}),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/**
 * For endpoints other issues are still building: a 404 (or 501) means "no data yet" rather
 * than an error, so pages render before their back end lands.
 */
export const getOptional = async <T>(path: string): Promise<T | null> => {
  try {
    return await api.get<T>(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 501)) return null;
    throw e;
  }
};

export const query = (params: Record<string, string | number | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
};
