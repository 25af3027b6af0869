import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ChdbSessionPool } from './chdb-sessions.ts';
import {
  binaryInsertFromFile,
  errorCodeOf,
  exceptionText,
  httpStatusOf,
  readFrontRequest,
  sessionPreamble,
} from './http-request.ts';

/**
 * A development and test stand-in for a ClickHouse server: one process owns a chDB data path
 * (chDB allows one process per path) and answers the ClickHouse HTTP interface as
 * `@clickhouse/client` speaks it, so that several Rekindle processes share one ClickHouse on a
 * machine without a server. Not for production: no users or passwords (it listens on loopback by
 * default), no HTTP sessions, no native compression, no progress headers.
 */
export interface DevServer {
  /** `http://host:port`, for `REKINDLE_WAREHOUSE=http://…/?database=…` or `ClickHouseDb.open`. */
  url: string;
  close(): Promise<void>;
}

export interface DevServerOptions {
  /** The chDB data directory (created when missing). */
  path: string;
  port: number;
  host?: string;
  /** Engine sessions, i.e. statements run at once (default 8). */
  sessions?: number;
}

const DISPLAY_NAME = 'rekindle-chdb-dev';

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
};

const summaryOf = (rows: number, bytes: number, elapsed: number, write: boolean): string =>
  JSON.stringify({
    read_rows: String(rows),
    read_bytes: String(bytes),
    written_rows: write ? String(rows) : '0',
    written_bytes: write ? String(bytes) : '0',
    total_rows_to_read: '0',
    result_rows: write ? '0' : String(rows),
    result_bytes: write ? '0' : String(bytes),
    elapsed_ns: String(Math.round(elapsed * 1e9)),
  });

export const startDevServer = async (options: DevServerOptions): Promise<DevServer> => {
  const pool = new ChdbSessionPool(options.path, options.sessions ?? 8);
  // Binary INSERT data (Parquet…) goes through a file chDB reads in place.
  const spool = mkdtempSync(join(tmpdir(), 'rekindle-chfront-'));

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.search)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const fail = (code: number, message: string): void => {
      const text = exceptionText(code, message);
      res
        .writeHead(httpStatusOf(code), {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Exception-Code': String(code),
          'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
        })
        .end(`${text}\n`);
    };
    if (url.pathname !== '/') return fail(1000, `There is no handle ${url.pathname}`);
    if (req.method !== 'GET' && req.method !== 'POST')
      return fail(1000, `HTTP method ${req.method ?? '?'} is not supported`);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (e) {
      return fail(1000, `cannot read the request body: ${e instanceof Error ? e.message : String(e)}`);
    }
    const inUrl = url.searchParams.get('query');
    const spooled = inUrl === null ? null : join(spool, `${randomUUID()}.bin`);
    const fromFile = spooled === null || inUrl === null ? null : binaryInsertFromFile(inUrl, spooled);
    if (fromFile !== null && spooled !== null) {
      writeFileSync(spooled, body);
      url.searchParams.set('query', fromFile);
    }
    const parsed = readFrontRequest(url.searchParams, fromFile === null ? body.toString('utf8') : '');
    if (!parsed.ok) {
      if (spooled !== null) rmSync(spooled, { force: true });
      return fail(parsed.error.code, parsed.error.message);
    }
    const r = parsed.value;
    const isWrite = /^\s*INSERT\b/i.test(r.sql);
    try {
      const out = await pool.with(async (s) => {
        const preamble = sessionPreamble(s, r);
        // One call: the preamble's SETs and the statement run in turn on this session.
        const result = await s.session.queryAsync(`${preamble.join('; ')}; ${r.sql}`, { format: r.format });
        s.settings = [...r.settings.keys()];
        s.params = [...r.params.keys()];
        return result;
      });
      const bytes = Buffer.from(out.bytes());
      const gzip =
        url.searchParams.get('enable_http_compression') === '1' &&
        /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': r.format,
        'X-ClickHouse-Timezone': 'UTC',
        'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
        'X-ClickHouse-Summary': summaryOf(out.rowsRead, out.bytesRead, out.elapsed, isWrite),
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      });
      res.end(gzip ? gzipSync(bytes) : bytes);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      fail(errorCodeOf(message), message);
    } finally {
      if (fromFile !== null && spooled !== null) rmSync(spooled, { force: true });
    }
  };

  // Parameters travel in the URL: allow what a ClickHouse server does (http_max_uri_size, 1 MiB).
  const server: Server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    answer(req, res).catch((e: unknown) => {
      // An invariant broke (not a statement's error): answer it as a server would, keep serving.
      if (!res.headersSent) res.writeHead(500).end(`Code: 1001. DB::Exception: ${String(e)}\n`);
      else res.destroy();
    });
  });
  // The client keeps connections alive; let them outlive its idle timeout (as the server does).
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      pool.close();
      rmSync(spool, { recursive: true, force: true });
    },
  };
};
