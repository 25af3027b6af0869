import { err, ok, type Result } from '../../../core/result.ts';

/**
 * One request of the ClickHouse HTTP interface, as `@clickhouse/client` sends it, read into what
 * the engine runs: the statement (from `query=` or the body), the INSERT data (the body when the
 * statement is in the URL), the settings and `{name:Type}` parameters (URL parameters).
 */
export interface FrontRequest {
  /** The statement; for an INSERT … FORMAT X, the data follows it on the next line. */
  sql: string;
  database: string | undefined;
  /** `default_format`: the output format when the statement names none. */
  format: string;
  queryId: string | undefined;
  /** Settings for this statement only (`insert_deduplication_token`, `final`, …). */
  settings: ReadonlyMap<string, string>;
  /** `param_<name>` values, in ClickHouse's text format (as the client formats them). */
  params: ReadonlyMap<string, string>;
}

/** URL parameters of the HTTP interface that are not settings. */
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'role',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
]);

/**
 * Settings that belong to the HTTP server layer (progress headers, response compression and
 * buffering): the in-process engine has no such layer and refuses them as unknown.
 */
const HTTP_ONLY = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'cancel_http_readonly_queries_on_client_close',
]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A ClickHouse string literal: backslash and quote escaped, as the text format reads them. */
export const chString = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Reads the URL's parameters and the (decompressed) body. Errors are ClickHouse's own wording and
 * code, so that the client reports them as it would a server's.
 */
export const readFrontRequest = (
  search: URLSearchParams,
  body: string,
): Result<FrontRequest, { code: number; message: string }> => {
  const settings = new Map<string, string>();
  const params = new Map<string, string>();
  for (const [k, v] of search) {
    if (k.startsWith('param_')) {
      const name = k.slice('param_'.length);
      if (!NAME.test(name)) return err({ code: 36, message: `Bad query parameter name '${name}'` });
      params.set(name, v);
    } else if (!NOT_SETTINGS.has(k) && !HTTP_ONLY.has(k)) {
      if (!NAME.test(k)) return err({ code: 115, message: `Unknown setting '${k}'` });
      settings.set(k, v);
    }
  }
  if (search.get('compress') === '1' || search.get('decompress') === '1')
    return err({
      code: 1,
      message: 'ClickHouse native compression (compress/decompress=1) is not supported here',
    });
  if (search.get('session_id') !== null)
    return err({
      code: 1,
      message: 'HTTP sessions (session_id) are not supported by this development front',
    });
  const inUrl = search.get('query');
  // As the server does: a statement in the URL is followed by the body (an INSERT's data).
  const sql = inUrl === null ? body : body === '' ? inUrl : `${inUrl}\n${body}`;
  if (sql.trim() === '') return err({ code: 62, message: 'Empty query' });
  const database = search.get('database') ?? undefined;
  if (database !== undefined && !NAME.test(database))
    return err({ code: 81, message: `Database ${database} does not exist` });
  return ok({
    sql,
    database,
    format: search.get('default_format') ?? 'TabSeparated',
    queryId: search.get('query_id') ?? undefined,
    settings,
    params,
  });
};

/**
 * The statements that put this request's settings, parameters and database in place on an engine
 * session, after undoing what the session's previous request set (chDB keeps SET for the
 * session's life: a dedup token left behind would swallow the next insert).
 */
export const sessionPreamble = (
  previous: { settings: readonly string[]; params: readonly string[] },
  req: Pick<FrontRequest, 'settings' | 'params' | 'database'>,
): string[] => {
  const out: string[] = [];
  for (const k of previous.settings) if (!req.settings.has(k)) out.push(`SET ${k} = DEFAULT`);
  for (const k of previous.params) if (!req.params.has(k)) out.push(`SET param_${k} = DEFAULT`);
  for (const [k, v] of req.settings) out.push(`SET ${k} = ${chString(v)}`);
  for (const [k, v] of req.params) out.push(`SET param_${k} = ${chString(v)}`);
  out.push(`USE ${req.database ?? 'default'}`);
  return out;
};

/** Input formats that are not text: their INSERT data cannot follow the statement in a string. */
const BINARY_FORMATS =
  /^(Parquet|Arrow|ArrowStream|ORC|Native|RowBinary\w*|Avro|AvroConfluent|Protobuf\w*|CapnProto|MsgPack|BSONEachRow|Npy)$/i;

/**
 * `INSERT INTO t [(a, b)] FORMAT Parquet` (as `@clickhouse/client` writes it) with binary data:
 * the same insert reading the data from a file (`file()`), which chDB reads in place.
 */
export const binaryInsertFromFile = (statement: string, path: string): string | null => {
  const m = /^\s*INSERT\s+INTO\s+([A-Za-z0-9_.`"]+)\s*(\(([^()]*)\))?\s*FORMAT\s+(\w+)\s*$/i.exec(statement);
  const format = m?.[4];
  if (m === null || format === undefined || !BINARY_FORMATS.test(format)) return null;
  const columns = m[3]?.trim();
  const list = columns === undefined || columns === '' ? '' : ` (${columns})`;
  return `INSERT INTO ${m[1] ?? ''}${list} SELECT ${columns === undefined || columns === '' ? '*' : columns} FROM file(${chString(path)}, ${chString(format)})`;
};

/** ClickHouse's error code in an exception text (`Code: 60. DB::Exception: …`), 1000 when none. */
export const errorCodeOf = (message: string): number => {
  const m = /Code: (\d+)\./.exec(message);
  return m?.[1] === undefined ? 1000 : Number(m[1]);
};

/**
 * The HTTP status ClickHouse answers an error code with (a few; the server has a longer list):
 * the client reads the code from the body either way.
 */
export const httpStatusOf = (code: number): number => {
  if ([60, 81].includes(code)) return 404; // UNKNOWN_TABLE, UNKNOWN_DATABASE
  // syntax, bad arguments, unknown setting or identifier, unparsable data or parameter
  if ([62, 36, 115, 47, 27, 117, 457, 456].includes(code)) return 400;
  if (code === 164) return 403; // READONLY
  return 500;
};

/** The exception text as the server sends it: `Code: N. DB::Exception: …`. */
export const exceptionText = (code: number, message: string): string =>
  message.startsWith('Code: ') ? message : `Code: ${code}. DB::Exception: ${message}`;
