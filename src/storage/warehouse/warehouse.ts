import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DuckDBInstance,
  DuckDBTimestampValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import { groupTraitsOf, linkRequestsOf, planLinks } from '../../core/events/identity-links.ts';
import { putOwn } from '../../core/events/storable.ts';
import { PROFILE_COLUMNS } from '../../core/profile/columns.ts';
import { withoutForgottenPushTokens } from '../../core/profile/forgotten-push-tokens.ts';
import { duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';
import type { WarehouseStore } from '../warehouse-sql.ts';
import { eventsTableDdl, WAREHOUSE_DDL } from './ddl.ts';
import { forgottenPushTokensOf } from './forgotten-push-tokens.ts';
import type { SqlParam, WarehouseTx } from './warehouse-tx.ts';
import { safeJsConverter } from './js-values.ts';
import { boundTypes } from './bind-types.ts';
import { anyLinks, applyLinkPlan, canonicalOf, knownUsersAmong, treesOf } from './identity-links.ts';

export type { RowAppender, SqlParam, WarehouseTx } from './warehouse-tx.ts';

export const timestampValue = (ms: number): DuckDBTimestampValue =>
  new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);

/** `timestampValue` that reuses the last value when asked for the same time again (a batch's received_at). */
const sameTimestamps = (): ((ms: number) => DuckDBTimestampValue) => {
  let last = NaN;
  let value = timestampValue(0);
  return (ms) => {
    if (ms !== last) {
      last = ms;
      value = timestampValue(ms);
    }
    return value;
  };
};

const appendNullable = <T>(a: DuckDBAppender, v: T | null | undefined, put: (v: T) => void) => {
  if (v === null || v === undefined) a.appendNull();
  else put(v);
};

import type { Rejection } from './rejection.ts';

export type { Rejection };

/** A record a commit refused on its own (kept in `ingest_rejections`); the rest was stored. */
export interface CommitRefusal {
  kind: 'event';
  /** Its position in the batch's events. */
  at: number;
  field: string;
  reason: string;
}

/** Anonymous ids whose implicit link is settled, remembered up to this many (then forgotten and re-read). */
const MAX_SETTLED = 1_000_000;
/** Users remembered as having a profile (then forgotten and re-checked by the statement). */
const MAX_PROFILED = 2_000_000;

/**
 * The DuckDB warehouse file. One process owns it (DuckDB's lock); writes go through one
 * connection so a group of records commits together, reads use their own connections.
 */
export class Warehouse implements WarehouseStore {
  readonly dialect: SqlDialect = duckdbDialect;
  private writeChain: Promise<unknown> = Promise.resolve();
  /** Anonymous ids already linked, or never linkable: their pairs need no lookup (identity-links.ts). */
  private readonly settled = new Set<string>();
  private readonly linkListeners: (() => void)[] = [];
  /**
   * Users this process gave a profile (or an earlier first_seen), with that first_seen: their
   * later events need no profile statement. Only commits write here; any other write (a merge,
   * retention deletes, a transaction) forgets it all, since it may have removed profiles.
   */
  private readonly profiled = new Map<string, number>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    readonly path: string,
    /** Whether identity_links has a row: until it has, no commit looks ids up. */
    private linked: boolean,
  ) {}

  static async open(path: string): Promise<Warehouse> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // Extensions we use (json, parquet, icu) are built in; never fetch one at run time.
    const instance = await DuckDBInstance.create(path, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // DuckDB folds the WAL into the file when it passes this size, inside whichever commit
      // crosses it. The default (16 MB) is less than one large slot writes (its snapshots and
      // decisions), so the planner's own commit paid a checkpoint of everything; the scheduler
      // checkpoints after a slot instead (campaigns/scheduler.ts).
      checkpoint_threshold: '64MB',
    });
    const writer = await instance.connect();
    for (const ddl of WAREHOUSE_DDL) await writer.run(ddl);
    const linked = await anyLinks({
      query: async <T>(sql: string) =>
        (await writer.runAndReadAll(sql)).convertRowObjects(safeJsConverter) as T[],
    });
    return new Warehouse(instance, writer, path, linked);
  }

  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** Called after each commit that linked ids (e.g. to carry control-plane opt-outs over). */
  onLinked(listener: () => void): void {
    this.linkListeners.push(listener);
  }

  /** Reads rows as plain objects on a fresh connection (parameters always bound, never spliced). */
  async query<T = Record<string, unknown>>(sql: string, params: SqlParam[] = []): Promise<T[]> {
    const conn = await this.instance.connect();
    try {
      const reader = await conn.runAndReadAll(sql, params as DuckDBValue[], boundTypes(params));
      return reader.convertRowObjects(safeJsConverter) as T[];
    } finally {
      conn.closeSync();
    }
  }

  /**
   * Reads a result column by column (one JS array per column): for large results this skips
   * building an object per row.
   */
  async columns(sql: string, params: SqlParam[] = []): Promise<Record<string, unknown[]>> {
    const conn = await this.instance.connect();
    try {
      const reader = await conn.runAndReadAll(sql, params as DuckDBValue[], boundTypes(params));
      return reader.convertColumnsObject(safeJsConverter) as Record<string, unknown[]>;
    } finally {
      conn.closeSync();
    }
  }

  /** Rows in batches (one DuckDB chunk each) without holding the whole result in memory. */
  async *stream(sql: string, params: SqlParam[] = []): AsyncGenerator<Record<string, unknown>[]> {
    const conn = await this.instance.connect();
    try {
      const result = await conn.stream(sql, params as DuckDBValue[], boundTypes(params));
      for await (const rows of result.yieldConvertedRowObjects(safeJsConverter)) yield rows;
    } finally {
      conn.closeSync();
    }
  }

  /** One writing statement on the writer connection, in turn with commits; returns rows changed. */
  async write(sql: string, params: SqlParam[] = []): Promise<number> {
    return this.serialised(async () => {
      this.profiled.clear();
      return Number((await this.writer.run(sql, params as DuckDBValue[], boundTypes(params))).rowsChanged);
    });
  }

  async scalar<T = unknown>(sql: string, params: SqlParam[] = []): Promise<T> {
    const rows = await this.query<Record<string, T>>(sql, params);
    const first = rows[0];
    if (first === undefined) throw new Error(`scalar query returned no row: ${sql}`);
    return Object.values(first)[0] as T;
  }

  /**
   * Stores events, identifies and rejections in one transaction; when the promise resolves
   * the records are committed to the WAL and survive a crash. Every user of the batch gets a
   * profile; ids are stitched (identity-links.ts). An alias that would make a cycle is the one
   * record refused here: it is returned and kept in `ingest_rejections`.
   */
  async commit(batch: {
    events: readonly EventRow[];
    identifies: readonly IdentifyRow[];
    rejections: readonly Rejection[];
    rejectedAt?: number;
    rejectionSource?: string;
  }): Promise<{ refused: CommitRefusal[] }> {
    return this.serialised(() => this.commitNow(batch));
  }

  /**
   * Several statements in one transaction on the writer connection, in turn with commits: all
   * of them or none. Temp tables made inside live on the writer connection; drop them at the end.
   */
  async transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      this.profiled.clear();
      const w = this.writer;
      const tx = this.writerTx();
      await w.run('BEGIN TRANSACTION');
      try {
        const out = await work(tx);
        await w.run('COMMIT');
        return out;
      } catch (e) {
        await w.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** The writer connection as a `WarehouseTx` (the caller holds the write turn and the transaction). */
  private writerTx(): WarehouseTx {
    const w = this.writer;
    return {
      run: async (sql, params = []) =>
        Number((await w.run(sql, params as DuckDBValue[], boundTypes(params))).rowsChanged),
      query: async <R>(sql: string, params: SqlParam[] = []) =>
        (await w.runAndReadAll(sql, params as DuckDBValue[], boundTypes(params))).convertRowObjects(
          safeJsConverter,
        ) as R[],
      append: async (table, fill, options = {}) => {
        const a = options.temp
          ? await w.createAppender(table, 'main', 'temp')
          : await w.createAppender(table);
        fill({
          varchar: (v) => (v === null ? a.appendNull() : a.appendVarchar(v)),
          double: (v) => (v === null ? a.appendNull() : a.appendDouble(v)),
          integer: (v) => (v === null ? a.appendNull() : a.appendInteger(v)),
          bigint: (v) => (v === null ? a.appendNull() : a.appendBigInt(BigInt(v))),
          timestamp: (v) => (v === null ? a.appendNull() : a.appendTimestamp(timestampValue(v))),
          end: () => a.endRow(),
        });
        a.closeSync();
      },
    };
  }

  /** One transaction at a time on the writer connection: DuckDB rejects a nested BEGIN. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(work, work);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async commitNow(batch: Parameters<Warehouse['commit']>[0]): Promise<{ refused: CommitRefusal[] }> {
    const w = this.writer;
    await w.run('BEGIN TRANSACTION');
    try {
      const rejectedAt = batch.rejectedAt ?? Date.now();
      const source = batch.rejectionSource ?? 'http';
      const stitched = await this.stitch(batch.events, batch.identifies);
      const refused: CommitRefusal[] = stitched.refused.map((r) => ({
        kind: 'event',
        at: r.at,
        field: 'previousId',
        reason: r.reason,
      }));
      let events = batch.events;
      if (refused.length > 0) {
        const out = new Set(refused.map((r) => r.at));
        events = events.filter((_, at) => !out.has(at));
      }
      let identifies = batch.identifies;
      const groups = groupTraitsOf(events);
      if (groups.length > 0) identifies = [...identifies, ...groups];
      const canonical = stitched.linked ? await this.canonicalIds(events, identifies) : null;
      if (canonical !== null && canonical.size > 0) {
        const to = <R extends { userId: string }>(r: R): R => {
          const c = canonical.get(r.userId);
          return c === undefined ? r : { ...r, userId: c };
        };
        events = events.map(to);
        identifies = identifies.map(to);
      }
      let profiled: Map<string, number> | undefined;
      if (events.length > 0) {
        await this.appendEvents(events);
        profiled = await this.upsertSeen(events);
      }
      if (identifies.length > 0) await this.applyIdentifies(identifies);
      const rejections: Rejection[] = [...batch.rejections];
      // An import keeps its refusals itself, by line (ingest/import/import-file.ts).
      for (const r of source === 'import' ? [] : refused) {
        const e = batch.events[r.at] as EventRow;
        rejections.push({
          index: r.at,
          field: r.field,
          reason: r.reason,
          raw: JSON.stringify({
            type: 'alias',
            messageId: e.messageId,
            userId: e.userId,
            properties: e.properties,
          }),
        });
      }
      if (rejections.length > 0) await this.appendRejections(rejections, rejectedAt, source);
      await w.run('COMMIT');
      if (profiled !== undefined && profiled.size > 0) {
        if (this.profiled.size + profiled.size > MAX_PROFILED) this.profiled.clear();
        for (const [user, ts] of profiled)
          this.profiled.set(user, Math.min(ts, this.profiled.get(user) ?? ts));
      }
      if (stitched.links > 0) this.profiled.clear();
      if (stitched.linked) this.linked = true;
      if (stitched.links > 0) for (const l of this.linkListeners) l();
      if (this.settled.size + stitched.settled.length > MAX_SETTLED) this.settled.clear();
      for (const id of stitched.settled) this.settled.add(id);
      return { refused };
    } catch (e) {
      await w.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * Links the ids the batch asks to link (alias calls; anonymousId with userId) and moves the
   * merged ids' data, before the batch's own rows are stored. `linked`: whether any link exists
   * now, so the batch's ids must be mapped to their canonical ids.
   */
  private async stitch(
    events: readonly EventRow[],
    identifies: readonly IdentifyRow[],
  ): Promise<{
    linked: boolean;
    links: number;
    refused: { at: number; reason: string }[];
    settled: string[];
  }> {
    const requests = linkRequestsOf(events, identifies).filter(
      (q) => q.explicit || !this.settled.has(q.from),
    );
    if (requests.length === 0) return { linked: this.linked, links: 0, refused: [], settled: [] };
    const tx = this.writerTx();
    const ids = requests.flatMap((q) => [q.from, q.to]);
    const known = this.linked ? await treesOf(tx, ids) : [];
    const candidates = [...new Set(requests.filter((q) => !q.explicit).map((q) => q.from))];
    const plan = planLinks(requests, known, await knownUsersAmong(tx, candidates));
    await applyLinkPlan(tx, plan);
    return {
      linked: this.linked || plan.links.length > 0,
      links: plan.links.length,
      refused: plan.refused,
      settled: plan.settled,
    };
  }

  private async canonicalIds(
    events: readonly EventRow[],
    identifies: readonly IdentifyRow[],
  ): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const e of events) ids.add(e.userId);
    for (const r of identifies) ids.add(r.userId);
    return canonicalOf(this.writerTx(), ids);
  }

  /**
   * Every user of the batch has a profile from its first event (features.md A1): a new one gets
   * an empty profile first seen at its earliest event, a known one an earlier first_seen when the
   * batch holds older events. One statement for the batch; rows that need no change are untouched.
   */
  private async upsertSeen(rows: readonly EventRow[]): Promise<Map<string, number>> {
    const first = new Map<string, number>();
    for (const r of rows) {
      const seen = first.get(r.userId);
      if (seen === undefined || r.ts < seen) first.set(r.userId, r.ts);
    }
    // Users known to have a profile first seen no later than this batch need no statement.
    for (const [user, ts] of first) {
      const known = this.profiled.get(user);
      if (known !== undefined && known <= ts) first.delete(user);
    }
    if (first.size === 0) return first;
    await this.writer.run('CREATE OR REPLACE TEMP TABLE seen_stage (user_id VARCHAR, first_seen TIMESTAMP)');
    const a = await this.writer.createAppender('seen_stage', 'main', 'temp');
    for (const [user, ts] of first) {
      a.appendVarchar(user);
      a.appendTimestamp(timestampValue(ts));
      a.endRow();
    }
    a.closeSync();
    // Not INSERT … ON CONFLICT: DuckDB's conflict path costs ~5× a plain insert (measured 90 vs
    // 16 ms per 1 000 users), and most users of a batch either are new or need no change.
    const existing = (
      await this.writer.runAndReadAll(
        `SELECT p.user_id, (s.first_seen < p.first_seen) AS earlier
         FROM profiles p JOIN temp.seen_stage s ON s.user_id = p.user_id`,
      )
    ).getRowObjectsJS() as { user_id: string; earlier: boolean }[];
    if (existing.some((r) => r.earlier)) {
      await this.writer.run(
        `UPDATE profiles SET first_seen = s.first_seen FROM temp.seen_stage s
         WHERE profiles.user_id = s.user_id AND s.first_seen < profiles.first_seen`,
      );
    }
    // updated_at = first_seen marks a profile no identify has touched (see applyIdentifies).
    if (existing.length < first.size) {
      await this.writer.run(
        `INSERT INTO profiles (user_id, traits, first_seen, updated_at)
         SELECT user_id, '{}', first_seen, first_seen FROM temp.seen_stage
         WHERE user_id NOT IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
        [JSON.stringify(existing.map((r) => r.user_id))],
      );
    }
    await this.writer.run('DROP TABLE temp.seen_stage');
    return first;
  }

  private async appendEvents(rows: readonly EventRow[]): Promise<void> {
    const a = await this.writer.createAppender('events');
    // One call per value: this loop is most of a bulk import's commit, so no closure or
    // timestamp object is made that a plain test or a reused value avoids (received_at is the
    // same for a whole batch).
    const text = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
    const received = sameTimestamps();
    for (const r of rows) {
      a.appendVarchar(r.messageId);
      a.appendVarchar(r.userId);
      text(r.anonymousId);
      a.appendVarchar(r.event);
      a.appendTimestamp(timestampValue(r.ts));
      a.appendTimestamp(received(r.receivedAt));
      if (r.amount === null) a.appendNull();
      else a.appendDouble(r.amount);
      text(r.currency);
      text(r.productId);
      text(r.category);
      text(r.orderId);
      text(r.platform);
      a.appendVarchar(r.properties);
      a.appendVarchar(r.source);
      a.endRow();
    }
    a.closeSync();
  }

  private async appendRejections(rows: readonly Rejection[], at: number, source: string): Promise<void> {
    const a = await this.writer.createAppender('ingest_rejections');
    for (const r of rows) {
      a.appendTimestamp(timestampValue(at));
      a.appendVarchar(source);
      a.appendInteger(r.index);
      a.appendVarchar(r.field);
      a.appendVarchar(r.reason);
      appendNullable(a, r.raw, (v) => a.appendVarchar(v));
      a.endRow();
    }
    a.closeSync();
  }

  /**
   * Appends every trait to the history, then folds the calls into the current profile. A call
   * older than the stored profile never overwrites newer values; it only fills gaps. A push token
   * a provider refused is never set again (core/profile/forgotten-push-tokens.ts).
   */
  private async applyIdentifies(rows: readonly IdentifyRow[]): Promise<void> {
    const h = await this.writer.createAppender('profile_history');
    const received = sameTimestamps();
    for (const r of rows) {
      // One row per trait, all with the call's times: made once per call, not per trait.
      const ts = timestampValue(r.ts);
      const receivedAt = received(r.receivedAt);
      for (const [attribute, value] of Object.entries(r.traits)) {
        h.appendVarchar(r.userId);
        h.appendVarchar(attribute);
        h.appendVarchar(JSON.stringify(value ?? null));
        h.appendTimestamp(ts);
        h.appendTimestamp(receivedAt);
        h.appendVarchar(r.messageId);
        h.appendVarchar(r.source);
        h.endRow();
      }
    }
    h.closeSync();

    // A push token a provider refused stays cleared, whatever order the calls arrive in.
    const withTokens = rows.filter((r) => r.columns.push_token !== undefined).map((r) => r.userId);
    const forgotten = await forgottenPushTokensOf(
      async <T>(sql: string, params: SqlParam[] = []) =>
        (await this.writer.runAndReadAll(sql, params as DuckDBValue[], boundTypes(params))).convertRowObjects(
          safeJsConverter,
        ) as T[],
      withTokens,
    );
    const latest = foldIdentifies(withoutForgottenPushTokens(rows, forgotten));
    await this.writer.run(`CREATE OR REPLACE TEMP TABLE identify_stage AS SELECT * FROM profiles LIMIT 0`);
    const s = await this.writer.createAppender('identify_stage', 'main', 'temp');
    for (const p of latest) {
      s.appendVarchar(p.userId);
      for (const column of PROFILE_COLUMNS) {
        const v = p.columns[column.name];
        if (v === undefined) s.appendNull();
        else if (column.kind === 'timestamp') s.appendTimestamp(timestampValue(v as number));
        else if (column.kind === 'number') s.appendDouble(v as number);
        else if (column.kind === 'boolean') s.appendBoolean(v as boolean);
        else s.appendVarchar(v as string);
      }
      s.appendVarchar(JSON.stringify(p.traits));
      s.appendTimestamp(timestampValue(p.firstTs));
      s.appendTimestamp(timestampValue(p.ts));
      s.endRow();
    }
    s.closeSync();
    // A profile made from events alone (no trait yet) has no identify to be newer than: the
    // first identify sets its values and its updated_at, whatever its time.
    const blank = "profiles.traits::VARCHAR = '{}'";
    const newer = `(${blank} OR excluded.updated_at >= profiles.updated_at)`;
    const sets = PROFILE_COLUMNS.map(
      (c) =>
        `${c.name} = CASE WHEN ${newer} THEN coalesce(excluded.${c.name}, profiles.${c.name}) ELSE coalesce(profiles.${c.name}, excluded.${c.name}) END`,
    );
    await this.writer.run(
      `INSERT INTO profiles SELECT * FROM temp.identify_stage
       ON CONFLICT (user_id) DO UPDATE SET ${sets.join(', ')},
         traits = CASE WHEN ${newer} THEN json_merge_patch(profiles.traits, excluded.traits)
                       ELSE json_merge_patch(excluded.traits, profiles.traits) END,
         first_seen = least(profiles.first_seen, excluded.first_seen),
         updated_at = CASE WHEN ${blank} THEN excluded.updated_at
                           ELSE greatest(profiles.updated_at, excluded.updated_at) END`,
    );
    await this.writer.run('DROP TABLE temp.identify_stage');
  }

  /**
   * Rewrites `events` sorted by (event, ts). DuckDB skips row groups by their min/max, so a
   * query for one event in a recent window then reads a few row groups instead of all of them
   * (2–4× faster audiences measured on 1 M users); appends after this stay in arrival order,
   * which is time order for live traffic. Writers wait while it runs; returns the row count.
   */
  async compactEvents(): Promise<number> {
    const rows = await this.serialised(async () => {
      const w = this.writer;
      await w.run('BEGIN TRANSACTION');
      try {
        await w.run('DROP TABLE IF EXISTS events_compacted');
        await w.run(eventsTableDdl('events_compacted'));
        const n = Number(
          (await w.run('INSERT INTO events_compacted SELECT * FROM events ORDER BY event, ts')).rowsChanged,
        );
        await w.run('DROP TABLE events');
        await w.run('ALTER TABLE events_compacted RENAME TO events');
        await w.run('COMMIT');
        return n;
      } catch (e) {
        await w.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
    await this.checkpoint();
    return rows;
  }

  async checkpoint(): Promise<void> {
    await this.serialised(() => this.writer.run('CHECKPOINT'));
  }

  close(): void {
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

interface FoldedProfile {
  userId: string;
  ts: number;
  firstTs: number;
  columns: IdentifyRow['columns'];
  traits: Record<string, unknown>;
}

/** Several calls for one user in one commit become one upsert row, applied in event-time order. */
export const foldIdentifies = (rows: readonly IdentifyRow[]): FoldedProfile[] => {
  const byUser = new Map<string, FoldedProfile>();
  const ordered = [...rows].sort((x, y) => x.ts - y.ts);
  for (const r of ordered) {
    const p = byUser.get(r.userId);
    if (p === undefined) {
      byUser.set(r.userId, {
        userId: r.userId,
        ts: r.ts,
        firstTs: r.ts,
        columns: { ...r.columns },
        traits: { ...r.traits },
      });
    } else {
      p.ts = r.ts;
      Object.assign(p.columns, r.columns);
      // Not Object.assign: a trait named `__proto__` would set the prototype instead of a key.
      for (const [k, v] of Object.entries(r.traits)) putOwn(p.traits, k, v);
    }
  }
  return [...byUser.values()];
};
