import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** The one interface the control plane talks to, whether PostgreSQL or embedded PGlite. */
export interface SqlClient {
  readonly kind: 'postgres' | 'pglite';
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Many rows at once with `COPY … FROM STDIN (FORMAT csv)`: several times faster than INSERT for
   * hundreds of thousands of rows. `csv` is RFC 4180 text (see `csvRow`); table and column names
   * are code constants, checked.
   */
  copyCsv(table: string, columns: readonly string[], csv: string): Promise<void>;
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The client a transaction's client came from, so per-database state bound to a client (the
 * master keys of `bindMasterKeys`) is found inside its transactions too.
 */
export const transactionParent = new WeakMap<SqlClient, SqlClient>();

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const copyStatement = (table: string, columns: readonly string[], source: string): string => {
  for (const name of [table, ...columns])
    if (!SCHEMA_NAME.test(name)) throw new Error(`invalid identifier for COPY: ${name}`);
  return `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT csv)`;
};

/** One CSV line (with its newline) for `copyCsv`: null is an empty unquoted field, text is quoted. */
export const csvRow = (values: readonly (string | number | null)[]): string =>
  `${values
    .map((v) => (v === null ? '' : typeof v === 'number' ? String(v) : `"${v.replaceAll('"', '""')}"`))
    .join(',')}\n`;

const pgCopy = async (conn: pg.PoolClient, table: string, columns: readonly string[], csv: string) => {
  const stream = conn.query(copyFrom(copyStatement(table, columns, 'STDIN')));
  await pipeline(Readable.from([csv]), stream);
};

const assertSchemaName = (schema: string): void => {
  // A schema name is an identifier that cannot be a bound parameter, so only a strict shape is allowed.
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
};

class PostgresClient implements SqlClient {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const r = await this.pool.query(text, params as unknown[]);
    return r.rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async copyCsv(table: string, columns: readonly string[], csv: string): Promise<void> {
    const conn = await this.pool.connect();
    try {
      await pgCopy(conn, table, columns, csv);
    } finally {
      conn.release();
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const conn = await this.pool.connect();
    const tx: SqlClient = {
      kind: 'postgres',
      query: async <R>(text: string, params: readonly unknown[] = []) =>
        (await conn.query(text, params as unknown[])).rows as R[],
      exec: async (sql) => {
        await conn.query(sql);
      },
      copyCsv: (table, columns, csv) => pgCopy(conn, table, columns, csv),
      transaction: (inner) => inner(tx),
      close: async () => undefined,
    };
    transactionParent.set(tx, this);
    try {
      await conn.query('BEGIN');
      const out = await fn(tx);
      await conn.query('COMMIT');
      return out;
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      conn.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgliteClient implements SqlClient {
  readonly kind = 'pglite';
  constructor(private readonly db: PGlite) {}

  async query<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(text, params as unknown[])).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async copyCsv(table: string, columns: readonly string[], csv: string): Promise<void> {
    await this.db.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob: new Blob([csv]) });
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) => {
      const tx: SqlClient = {
        kind: 'pglite',
        query: async <R>(text: string, params: readonly unknown[] = []) =>
          (await t.query<R>(text, params as unknown[])).rows,
        exec: async (sql) => {
          await t.exec(sql);
        },
        copyCsv: async (table, columns, csv) => {
          await t.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob: new Blob([csv]) });
        },
        transaction: (inner) => inner(tx),
        close: async () => undefined,
      };
      transactionParent.set(tx, this);
      return fn(tx);
    });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export interface ControlPlaneLocation {
  /** A `postgres://` URL selects a server; otherwise PGlite keeps its files in `pgliteDir`. */
  databaseUrl?: string | undefined;
  /** A directory for PGlite, or `memory://` for a throwaway database. */
  pgliteDir: string;
  /** Work inside this schema (created if missing); tests use one schema each. */
  schema?: string | undefined;
}

export const openSqlClient = async (loc: ControlPlaneLocation): Promise<SqlClient> => {
  if (loc.schema !== undefined) assertSchemaName(loc.schema);
  if (loc.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: loc.databaseUrl,
      max: 10,
      ...(loc.schema ? { options: `-c search_path=${loc.schema}` } : {}),
    });
    const client = new PostgresClient(pool);
    if (loc.schema) await client.exec(`CREATE SCHEMA IF NOT EXISTS ${loc.schema}`);
    return client;
  }
  if (!loc.pgliteDir.startsWith('memory://')) mkdirSync(loc.pgliteDir, { recursive: true });
  const db = await PGlite.create(loc.pgliteDir);
  if (loc.schema)
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${loc.schema}; SET search_path TO ${loc.schema}`);
  return new PgliteClient(db);
};
