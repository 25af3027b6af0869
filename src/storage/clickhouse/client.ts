import { createReadStream } from 'node:fs';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { loadChdb } from './engine-loader.ts';
import type { ClickHouseTarget } from './target.ts';

/** A value bound to a `{name:Type}` placeholder; never part of the SQL text. */
export type ChParam = string | number | boolean | null | readonly string[] | readonly number[];

/**
 * Every read: 64-bit integers as JSON numbers (counts are UInt64), and FINAL applied to the
 * Replacing/Aggregating tables a query reads (profiles, scores), so a row replaced by a later
 * insert is never read twice before the background merge folds it.
 */
const READ_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 0,
  final: 1,
};

/**
 * One ClickHouse warehouse, on a server over HTTP or on chDB in this process: both through
 * `@clickhouse/client`, so the statements, parameters and settings are the same on both.
 */
export class ClickHouseDb {
  /**
   * chDB only: settings a call has set, with their defaults. chDB applies a call's settings as
   * `SET` on its one session, where they would stay for every later call (a dedup token would
   * swallow the next, different insert); each call resets the ones it does not set itself.
   */
  private readonly touched = new Map<string, string>();

  private constructor(
    private readonly client: ClickHouseClient,
    readonly target: ClickHouseTarget,
  ) {}

  /** The call's settings, plus (on chDB) every setting an earlier call changed, back at its default. */
  private async scoped(settings: ClickHouseSettings): Promise<ClickHouseSettings> {
    if (this.target.kind !== 'chdb') return settings;
    const given = settings as Record<string, unknown>;
    const fresh = Object.keys(given).filter((n) => given[n] !== undefined && !this.touched.has(n));
    if (fresh.length > 0) {
      const rs = await this.client.query({
        query: 'SELECT name, default FROM system.settings WHERE name IN {names:Array(String)}',
        query_params: { names: fresh },
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<{ name: string; default: string }>()) this.touched.set(r.name, r.default);
    }
    const resets: Record<string, string> = {};
    for (const [name, value] of this.touched) if (given[name] === undefined) resets[name] = value;
    return { ...resets, ...settings } as ClickHouseSettings;
  }

  get database(): string {
    return this.target.database;
  }

  /** Connects and creates the database when missing (tables: `applyClickHouseDdl`). */
  static async open(target: ClickHouseTarget): Promise<ClickHouseDb> {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(target.database))
      throw new Error(`ClickHouse database '${target.database}': expected letters, digits and _`);
    const setup =
      target.kind === 'chdb'
        ? createClient({ connection: loadChdb().createChdbConnection({ path: target.path }) })
        : createClient({ url: target.url, username: target.username, password: target.password });
    await setup.command({ query: `CREATE DATABASE IF NOT EXISTS ${target.database}` });
    if (target.kind === 'chdb') {
      // chDB has one engine per process: the same client, told which database to use.
      await setup.command({ query: `USE ${target.database}` });
      return new ClickHouseDb(setup, target);
    }
    await setup.close();
    return new ClickHouseDb(
      createClient({
        url: target.url,
        username: target.username,
        password: target.password,
        database: target.database,
        // Inserts are acknowledged only when written; nothing is buffered client-side.
        clickhouse_settings: { async_insert: 0 },
      }),
      target,
    );
  }

  /** Rows as plain objects (JSONEachRow). */
  async query<T = Record<string, unknown>>(
    sql: string,
    params: Record<string, ChParam> = {},
    settings: ClickHouseSettings = {},
  ): Promise<T[]> {
    const rs = await this.client.query({
      query: sql,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: await this.scoped({ ...READ_SETTINGS, ...settings }),
    });
    return rs.json<T>();
  }

  /**
   * Rows as plain objects in the values DuckDB's reads give (warehouse-sql.ts): Date, DateTime
   * and DateTime64 columns as `Date` (read in ISO form with their offset, so any column zone is
   * right), everything else as JSONEachRow gives it.
   */
  async queryValues<T = Record<string, unknown>>(
    sql: string,
    params: Record<string, ChParam> = {},
  ): Promise<T[]> {
    const rs = await this.client.query({
      query: sql,
      query_params: params,
      format: 'JSONCompactEachRowWithNamesAndTypes',
      clickhouse_settings: await this.scoped({ ...READ_SETTINGS, date_time_output_format: 'iso' }),
    });
    const [names, types, ...rows] = await rs.json<unknown[]>();
    if (names === undefined || types === undefined) return [];
    const isTime = (types as string[]).map((t) =>
      /^(Nullable\(|LowCardinality\(|SimpleAggregateFunction\(\w+, )*(Date|DateTime)/.test(t),
    );
    return rows.map((row) => {
      const out: Record<string, unknown> = {};
      (names as string[]).forEach((name, i) => {
        const v = row[i];
        out[name] = isTime[i] && typeof v === 'string' ? new Date(v) : v;
      });
      return out as T;
    });
  }

  /** A statement without a result (DDL, INSERT … SELECT, mutations); the rows it wrote where known. */
  async commandCounted(sql: string, params: Record<string, ChParam> = {}): Promise<number> {
    const r = await this.client.command({
      query: sql,
      query_params: params,
      clickhouse_settings: await this.scoped({}),
    });
    return Number(r.summary?.written_rows ?? 0);
  }

  /** A statement without a result (DDL, INSERT … SELECT, mutations). */
  async command(
    sql: string,
    params: Record<string, ChParam> = {},
    settings: ClickHouseSettings = {},
  ): Promise<void> {
    await this.client.command({
      query: sql,
      query_params: params,
      clickhouse_settings: await this.scoped(settings),
    });
  }

  /**
   * Rows into a table, acknowledged once written. With `dedupToken`, a retry of the same rows
   * with the same token is stored once (`insert_deduplication_token`; tables keep the last
   * tokens through `non_replicated_deduplication_window`, replicated ones through the keeper).
   */
  async insert(
    table: string,
    rows: readonly Record<string, unknown>[],
    options: { dedupToken?: string; settings?: ClickHouseSettings } = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table,
      values: rows as Record<string, unknown>[],
      format: 'JSONEachRow',
      // Synchronous: acknowledged means written (chDB's default is async_insert = 1).
      clickhouse_settings: await this.scoped({
        async_insert: 0,
        ...(options.dedupToken === undefined ? {} : { insert_deduplication_token: options.dedupToken }),
        ...options.settings,
      }),
    });
  }

  /**
   * A local Parquet file into a table, its columns named in `structure` (`name Type, …`, read by
   * name). chDB reads the file in place (its `insert` passes the body on as text, which would
   * break a binary format); a server gets the file streamed over HTTP.
   */
  async insertParquetFile(
    table: string,
    path: string,
    structure: readonly { name: string; type: string }[],
    settings: ClickHouseSettings = {},
  ): Promise<void> {
    const [first, ...rest] = structure.map((c) => c.name);
    if (first === undefined) throw new Error(`insertParquetFile ${table}: no columns`);
    if (this.target.kind === 'chdb') {
      const names = structure.map((c) => `\`${c.name}\``).join(', ');
      const types = structure.map((c) => `\`${c.name}\` ${c.type}`).join(', ');
      // Table-function arguments are literals (no placeholders there); both texts are ours.
      const literal = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
      await this.client.command({
        query: `INSERT INTO ${table} (${names}) SELECT ${names} FROM file(${literal(path)}, Parquet, ${literal(types)})`,
        clickhouse_settings: await this.scoped(settings),
      });
      return;
    }
    await this.client.insert({
      table,
      values: createReadStream(path),
      format: 'Parquet',
      columns: [first, ...rest],
      clickhouse_settings: settings,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
