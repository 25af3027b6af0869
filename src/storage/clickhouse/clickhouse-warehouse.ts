import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import { groupTraitsOf, linkRequestsOf, planLinks } from '../../core/events/identity-links.ts';
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
import { anyLinksIn, canonicalIdsOf, storedTreesOf } from './identity-reads.ts';
import { stitchIdentities, type StitchOptions, type StitchReport } from './identity-stitching.ts';
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

/**
 * How often a process that knows of no stored link asks again. A record committed under an alias
 * before its process learnt of the link is moved by the stitching pass's sweep.
 */
const LINK_CHECK_MS = 1_000;

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
  /** Whether a link is stored (checked at most every LINK_CHECK_MS until one is; links are never removed). */
  private linksSeen = false;
  private linksCheckedAt = Number.NEGATIVE_INFINITY;

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
   * cannot store (a time outside DateTime64's range; an alias that would close a cycle) are refused on
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
    const kept = {
      events: batch.events.filter((_, at) => !outEvents.has(at)),
      identifies: batch.identifies.filter((_, at) => !outIdentifies.has(at)),
    };
    const requests = linkRequestsOf(kept.events, kept.identifies);
    // linkRequestsOf numbers explicit requests by position in the list it was given: map back.
    const keptEventAt = batch.events.map((_, at) => at).filter((at) => !outEvents.has(at));
    const explicit = requests.filter((q) => q.explicit);
    if (explicit.length > 0) {
      // An alias that would close a cycle with the links stored now is refused at once, as DuckDB
      // refuses it; one racing another process's alias is refused by the stitching pass.
      const known = await storedTreesOf(
        this.db,
        explicit.flatMap((q) => [q.from, q.to]),
      );
      for (const r of planLinks(explicit, known, new Set()).refused) {
        const at = keptEventAt[r.at];
        if (at === undefined) throw new Error(`alias request at ${r.at} has no event`);
        refused.push({ kind: 'event', at, field: 'previousId', reason: r.reason });
        outEvents.add(at);
      }
    }
    const refusedEvents = new Set(explicit.filter((q) => outEvents.has(keptEventAt[q.at] ?? -1)));
    // Every record is stored under the canonical id of the links stored now; a record a pass links
    // later is moved by that pass's sweep (identity-stitching.ts).
    const canonical = await this.canonicalOf([
      ...kept.events.map((e) => e.userId),
      ...kept.identifies.map((r) => r.userId),
      ...requests.map((q) => q.from),
    ]);
    const toCanonical = <R extends { userId: string }>(r: R): R => {
      const c = canonical.get(r.userId);
      return c === undefined ? r : { ...r, userId: c };
    };
    const events = batch.events.filter((_, at) => !outEvents.has(at)).map(toCanonical);
    const identifies = [...kept.identifies.map(toCanonical), ...groupTraitsOf(events)];
    const receivedAt = new Map<string, number>();
    for (const e of kept.events) receivedAt.set(`e:${e.messageId}`, e.receivedAt);
    for (const r of kept.identifies) receivedAt.set(`i:${r.messageId}`, r.receivedAt);
    // An anonymous id already merged is settled (planLinks would do nothing); one request per id
    // and batch is enough, the earliest (planLinks settles an id at its first request).
    const asked = new Set<string>();
    const recorded = requests.filter((q) => {
      if (q.explicit) return !refusedEvents.has(q);
      if (canonical.has(q.from) || asked.has(q.from)) return false;
      asked.add(q.from);
      return true;
    });

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
      recorded.map((q) => ({
        alias_id: q.from,
        user_id: q.to,
        via: q.via,
        message_id: q.messageId,
        ts: chTime(q.ts),
        received_at: chTime(
          receivedAt.get(`${q.via === 'identify' ? 'i' : 'e'}:${q.messageId}`) ?? rejectedAt,
        ),
      })),
      {
        dedupToken: dedupToken(
          'identity_link_requests',
          recorded.map((q) => `${q.via}:${q.messageId}`),
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

  /**
   * The leader's stitching pass (identity-stitching.ts); this process maps ids through the links
   * at once after it (others learn of the first link within LINK_CHECK_MS).
   */
  async stitch(options: StitchOptions): Promise<StitchReport> {
    const report = await stitchIdentities(this.db, options);
    if (report.moved.length > 0) this.linksSeen = true;
    return report;
  }

  /** The canonical id of each of these ids that is an alias (no query while no link is stored). */
  private async canonicalOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (!this.linksSeen) {
      const now = Date.now();
      if (now - this.linksCheckedAt < LINK_CHECK_MS) return new Map();
      this.linksCheckedAt = now;
      this.linksSeen = await anyLinksIn(this.db);
      if (!this.linksSeen) return new Map();
    }
    return canonicalIdsOf(this.db, ids);
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
