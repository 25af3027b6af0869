import type { Readable } from 'node:stream';
import type { ServerInfo } from './discovery.ts';

/** A refusal of the server: its status and its `{ error, errors? }` body in words. */
export interface ApiRefusal {
  status: number;
  error: string;
  errors: { path: string; message: string }[];
  body: unknown;
}

export type ApiAnswer<T> = { ok: true; status: number; value: T } | { ok: false; refusal: ApiRefusal };

/** The server stopped answering between finding it and asking it. */
export class ServerGoneError extends Error {
  constructor(server: ServerInfo, cause: unknown) {
    super(
      `the server of this data directory (pid ${server.pid}, ${server.url}) did not answer (${
        cause instanceof Error
          ? ((cause.cause as Error | undefined)?.message ?? cause.message)
          : String(cause)
      }); run this again when it is up, or once it has stopped`,
    );
    this.name = 'ServerGoneError';
  }
}

/** The server no longer takes the local admin credential (an admin disabled `local-cli` or changed its role). */
export class CredentialRefusedError extends Error {
  constructor(readonly refusal: ApiRefusal) {
    super(refusal.error);
    this.name = 'CredentialRefusedError';
  }
}

const refusalOf = (status: number, text: string): ApiRefusal => {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text is the message.
  }
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors = Array.isArray(o['errors'])
    ? (o['errors'] as unknown[]).flatMap((e) => {
        const x = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
        return typeof x['message'] === 'string'
          ? [{ path: typeof x['path'] === 'string' ? x['path'] : '', message: x['message'] }]
          : [];
      })
    : [];
  const error =
    typeof o['error'] === 'string'
      ? o['error']
      : typeof o['message'] === 'string'
        ? o['message']
        : text.trim() || `HTTP ${status}`;
  return { status, error, errors, body };
};

/** The server's HTTP API with the local admin credential. */
export interface ApiClient {
  readonly server: ServerInfo;
  call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  /** The raw body of a GET, for CSV downloads. */
  stream(
    path: string,
  ): Promise<
    { ok: true; body: ReadableStream<Uint8Array>; headers: Headers } | { ok: false; refusal: ApiRefusal }
  >;
  upload<T>(path: string, contentType: string, body: Readable): Promise<ApiAnswer<T>>;
}

export const apiClient = (server: ServerInfo, token: string): ApiClient => {
  const send = async (path: string, init: RequestInit): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${server.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      });
    } catch (e) {
      throw new ServerGoneError(server, e);
    }
    if (res.status === 401) throw new CredentialRefusedError(refusalOf(401, await res.text()));
    return res;
  };
  const answer = async <T>(res: Response): Promise<ApiAnswer<T>> => {
    const text = await res.text();
    if (!res.ok) return { ok: false, refusal: refusalOf(res.status, text) };
    return { ok: true, status: res.status, value: (text === '' ? null : JSON.parse(text)) as T };
  };
  return {
    server,
    call: async <T>(method: string, path: string, body?: unknown) =>
      answer<T>(
        await send(path, {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        }),
      ),
    stream: async (path) => {
      const res = await send(path, { method: 'GET' });
      if (!res.ok || res.body === null)
        return { ok: false, refusal: refusalOf(res.status, await res.text()) };
      return { ok: true, body: res.body, headers: res.headers };
    },
    upload: async <T>(path: string, contentType: string, body: Readable) =>
      answer<T>(
        await send(path, {
          method: 'POST',
          body: body as unknown as ReadableStream<Uint8Array>,
          headers: { 'content-type': contentType },
          // Streams the file: Node's fetch needs this for a body that is a stream.
          ...({ duplex: 'half' } as object),
        }),
      ),
  };
};
