import { err, ok, type Result } from '../../core/result.ts';

/** Where the ClickHouse warehouse lives. */
export type ClickHouseTarget =
  /** A server (or cluster behind a load balancer) over HTTP(S), through `@clickhouse/client`. */
  | { kind: 'server'; url: string; database: string; username: string; password: string }
  /** chDB: the ClickHouse engine in this process, its data under `path` (one process per path). */
  | { kind: 'chdb'; path: string; database: string };

const DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Reads a warehouse address:
 * - `clickhouse://user:password@host:8123/database` (`clickhouses://` for HTTPS), or a plain
 *   `http(s)://host:8123` with `?database=` — a ClickHouse server;
 * - `chdb:///absolute/path` or `chdb:relative/path` (`?database=`) — chDB in-process.
 * The password never appears in an error.
 */
export const parseClickHouseTarget = (address: string): Result<ClickHouseTarget, string> => {
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    return err('expected clickhouse://user:password@host:8123/database, http(s)://host:8123 or chdb:///path');
  }
  const fromQuery = u.searchParams.get('database');
  if (u.protocol === 'chdb:') {
    const path = decodeURIComponent(u.pathname || u.host);
    if (path === '') return err('chdb: expected a data directory, e.g. chdb:///var/lib/rekindle/chdb');
    const database = fromQuery ?? 'rekindle';
    if (!DATABASE.test(database)) return err(`database '${database}': expected letters, digits and _`);
    return ok({ kind: 'chdb', path, database });
  }
  const secure = u.protocol === 'clickhouses:' || u.protocol === 'https:';
  if (!['clickhouse:', 'clickhouses:', 'http:', 'https:'].includes(u.protocol))
    return err(
      `unknown scheme '${u.protocol}': expected clickhouse://, clickhouses://, http(s):// or chdb://`,
    );
  const fromPath = u.protocol.startsWith('clickhouse')
    ? decodeURIComponent(u.pathname.replace(/^\//, ''))
    : '';
  const database = fromQuery ?? (fromPath === '' ? 'rekindle' : fromPath);
  if (!DATABASE.test(database)) return err(`database '${database}': expected letters, digits and _`);
  const port = u.port === '' ? (secure ? '8443' : '8123') : u.port;
  return ok({
    kind: 'server',
    url: `${secure ? 'https' : 'http'}://${u.hostname}:${port}`,
    database,
    username: decodeURIComponent(u.username) || 'default',
    password: decodeURIComponent(u.password),
  });
};
