import { getToken, setToken } from './session';

/** An answer of the API other than 2xx: its status and the `{ type, message }` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** An error for a non-2xx answer; a 401 also ends the session, so the sign-in form comes back. */
export async function errorOf(res: Response): Promise<ApiError> {
  let type = 'Error';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { type?: unknown; message?: unknown };
    if (typeof body.type === 'string') type = body.type;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  if (res.status === 401 && getToken() !== null) setToken(null);
  return new ApiError(res.status, type, message);
}

/** One JSON call to the API with the session's token. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
