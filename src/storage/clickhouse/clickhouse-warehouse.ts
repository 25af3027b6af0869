import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import { groupTraitsOf, linkRequestsOf } from '../../core/events/identity-links.ts';
import {
  withoutForgottenPushTokens,
  type ForgottenPushToken,
} from '../../core/profile/forgotten-push-tokens.ts';
import type { RefusedPushToken } from '../warehouse/forgotten-push-tokens.ts';
import type { Rejection } from '../warehouse/warehouse.ts';
import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { SqlParam, WarehouseStore, WarehouseTx } from '../warehouse-sql.ts';
import { ClickHouseDb } from './client.ts';
import { ClickHouseSql } from './clickhouse-sql.ts';
import { applyClickHouseDdl } from './ddl.ts';
import {
  chTime,
  dedupToken,
  eventProblem,
  eventRowOf,
  historyRowsOf,
  identifyProblem,
  profileStateRowsOf,
  type ClickHouseRefusal,
} from './ingest-rows.ts';
import type { ClickHouseTarget } from './target.ts';

export type { ClickHouseRefusal } from './ingest-rows.ts';

export interface ClickHouseCommitBatch {
  events: readonly EventRow[];
  identifies: readonly IdentifyRow[];
  rejections: readonly Rejection[];
  rejectedAt?: number;
  rejectionSource?: string;
}

const ALIAS_REFUSED =
  'alias (merging two users) is not supported on the ClickHouse warehouse yet; the record was not stored';

/**
 * The ClickHouse warehouse's ingestion: `commit` has the meaning of `Warehouse.commit` (DuckDB)
 * for events, identifies and rejections. Any number of processes may commit at once: profiles
 * are folded by ClickHouse (profile-ddl.ts), never read and rewritten here.
 *
 * Acknowledged = durable: every insert is synchronous (no async_insert) into tables that fsync
 * each part, and `commit` resolves only after the last one was acknowledged. ClickHouse has no
 * transaction across tables, so the inserts are ordered and each carries a token derived from
 * the batch's message ids: a commit that failed midway, retried with the same batch, completes
 * what is missing and stores nothing twice (the profile state is idempotent by construction).
 */
export class ClickHouseWarehouse implements WarehouseStore {
  private readonly statements: ClickHouseSql;

  private constructor(readonly db: ClickHouseDb) {
    this.statements = new ClickHouseSql(db);
  }

  get dialect(): SqlDialect {
    return this.statements.dialect;
  }

  query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]> {
    return this.statements.query<T>(sql, params);
  }

  scalar<T = unknown>(sql: string, params?: SqlParam[]): Promise<T> {
    return this.statements.scalar<T>(sql, params);
  }

  write(sql: string, params?: SqlParam[]): Promise<number> {
    return this.statements.write(sql, params);
  }

  transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T> {
    return this.statements.transaction(work);
  }

  static async open(target: ClickHouseTarget): Promise<ClickHouseWarehouse> {
    const db = await ClickHouseDb.open(target);
    await applyClickHouseDdl(db);
    return new ClickHouseWarehouse(db);
  }

  /**
   * Stores the batch; resolves once ClickHouse acknowledged every insert. Records ClickHouse
   * cannot store (a time outside DateTime64's range; an alias, not supported yet) are refused on
   * their own: returned and kept in `ingest_rejections`, the rest is stored.
   */
  async commit(batch: ClickHouseCommitBatch): Promise<{ refused: ClickHouseRefusal[] }> {
    const rejectedAt = batch.rejectedAt ?? Date.now();
    const source = batch.rejectionSource ?? 'http';
    const refused: ClickHouseRefusal[] = [];
    const outEvents = new Set<number>();
    const outIdentifies = new Set<number>();
    batch.events.forEach((e, at) => {
      const problem = eventProblem(e);
      if (problem !== null) {
        refused.push({ kind: 'event', at, ...problem });
        outEvents.add(at);
      }
    });
    batch.identifies.forEach((r, at) => {
      const problem = identifyProblem(r);
      if (problem !== null) {
        refused.push({ kind: 'identify', at, ...problem });
        outIdentifies.add(at);
      }
    });
    const requests = linkRequestsOf(
      batch.events.filter((_, at) => !outEvents.has(at)),
      batch.identifies.filter((_, at) => !outIdentifies.has(at)),
    );
    // linkRequestsOf numbers explicit requests by position in the list it was given: map back.
    const keptEventAt = batch.events.map((_, at) => at).filter((at) => !outEvents.has(at));
    for (const q of requests) {
      if (!q.explicit) continue;
      const at = keptEventAt[q.at];
      if (at === undefined) throw new Error(`alias request at ${q.at} has no event`);
      refused.push({ kind: 'event', at, field: 'previousId', reason: ALIAS_REFUSED });
      outEvents.add(at);
    }
    const events = batch.events.filter((_, at) => !outEvents.has(at));
    const identifies = [
      ...batch.identifies.filter((_, at) => !outIdentifies.has(at)),
      ...groupTraitsOf(events),
    ];
    const implicit = requests.filter((q) => !q.explicit);

    const rejections: Rejection[] = [...batch.rejections];
    // An import keeps its refusals itself, by line (ingest/import/import-file.ts).
    if (source !== 'import') {
      for (const r of refused) {
        const record = r.kind === 'event' ? batch.events[r.at] : batch.identifies[r.at];
        rejections.push({
          index: r.at,
          field: r.field,
          reason: r.reason,
          raw: JSON.stringify({ type: r.kind === 'event' ? 'track' : 'identify', ...record }),
        });
      }
    }

    const eventIds = events.map((e) => e.messageId);
    const identifyIds = identifies.map((r) => r.messageId);
    // Order: the profile state first (idempotent: a repeat changes nothing), then the append-only
    // tables, each with its token, so a crash between two inserts leaves what a retry completes.
    // `profile_history` and `events` come last, in that order, because they are where the ingest
    // role looks ids up (ingest-sink.ts `storedAmong`): an identify's id in profile_history means
    // every row of its commit but the events is stored, an event's id in events means all of them
    // are. A retry that lands in another group (other tokens) is then answered as duplicates only
    // for what is complete, and stores the rest.
    // A push token a provider refused is never set again by a call committed after (DuckDB's rule,
    // core/profile/forgotten-push-tokens.ts); the history keeps the call as sent, as DuckDB's does.
    const withTokens = identifies.filter((r) => r.columns.push_token !== undefined).map((r) => r.userId);
    const forgotten = await this.forgottenPushTokensOf(withTokens);
    const applied = withoutForgottenPushTokens(identifies, forgotten);
    await this.db.insert('profile_state', profileStateRowsOf(events, applied), {
      dedupToken: dedupToken('profile_state', [...eventIds, ...identifyIds]),
    });
    await this.db.insert(
      'identity_link_requests',
      implicit.map((q) => ({
        alias_id: q.from,
        user_id: q.to,
        via: q.via,
        message_id: q.messageId,
        ts: chTime(q.ts),
        received_at: chTime(rejectedAt),
      })),
      {
        dedupToken: dedupToken(
          'identity_link_requests',
          implicit.map((q) => `${q.via}:${q.messageId}`),
        ),
      },
    );
    await this.db.insert(
      'ingest_rejections',
      rejections.map((r) => ({
        received_at: chTime(rejectedAt),
        source,
        record_index: r.index,
        field: r.field,
        reason: r.reason,
        raw: r.raw,
      })),
      {
        // Rejections carry no message id: the batch's ids, its time and the rejections themselves
        // tell two batches apart.
        dedupToken: dedupToken(
          'ingest_rejections',
          [...eventIds, ...identifyIds],
          [String(rejectedAt), source, ...rejections.map((r) => JSON.stringify(r))],
        ),
      },
    );
    await this.db.insert('profile_history', historyRowsOf(identifies), {
      dedupToken: dedupToken('profile_history', identifyIds),
    });
    await this.db.insert('events', events.map(eventRowOf), { dedupToken: dedupToken('events', eventIds) });
    return { refused };
  }

  /** The forgotten push tokens of these users (one query; none when no user is given). */
  private async forgottenPushTokensOf(userIds: readonly string[]): Promise<ForgottenPushToken[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db.query<{ user_id: string; push_token: string; profile_ms: number | null }>(
      `SELECT user_id, push_token, toUnixTimestamp64Milli(profile_ts) AS profile_ms
       FROM forgotten_push_tokens WHERE user_id IN {users:Array(String)}`,
      { users: [...new Set(userIds)] },
    );
    return rows.map((r) => ({ userId: r.user_id, pushToken: r.push_token, profileMs: r.profile_ms }));
  }

  /**
   * Forgets push tokens a provider refused for good (DuckDB: warehouse/forgotten-push-tokens.ts):
   * each is kept with the profile's updated_at of now, so that no identify committed later brings
   * it back, and the profiles view no longer shows it where it is the user's latest token.
   * Returns how many profiles lost their token.
   */
  async forgetPushTokens(tokens: readonly RefusedPushToken[], now: number): Promise<number> {
    if (tokens.length === 0) return 0;
    const users = [...new Set(tokens.map((t) => t.userId))];
    const current = new Map(
      (
        await this.db.query<{ user_id: string; push_token: string | null; updated_ms: number }>(
          `SELECT user_id, push_token, toUnixTimestamp64Milli(updated_at) AS updated_ms
           FROM profiles WHERE user_id IN {users:Array(String)}`,
          { users },
        )
      ).map((r) => [r.user_id, r] as const),
    );
    const pair = (userId: string, token: string) => JSON.stringify([userId, token]);
    const known = new Set((await this.forgottenPushTokensOf(users)).map((f) => pair(f.userId, f.pushToken)));
    const rows: Record<string, unknown>[] = [];
    let cleared = 0;
    for (const t of tokens) {
      const key = pair(t.userId, t.pushToken);
      if (known.has(key)) continue;
      known.add(key);
      const profile = current.get(t.userId);
      if (profile?.push_token === t.pushToken) cleared++;
      rows.push({
        user_id: t.userId,
        push_token: t.pushToken,
        profile_ts: profile === undefined ? null : chTime(profile.updated_ms),
        forgotten_at: chTime(now),
      });
    }
    await this.db.insert('forgotten_push_tokens', rows, {
      dedupToken: dedupToken(
        'forgotten_push_tokens',
        rows.map((r) => pair(String(r['user_id']), String(r['push_token']))),
        [String(now)],
      ),
    });
    return cleared;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
