import { createHash } from 'node:crypto';
import type { BonusGrant, CandidateEvent } from '../../core/offers/bonus.ts';
import { ownEventSql } from '../../core/events/system-events.ts';
import { EVENT_INSERT_COLUMNS } from './user-scores.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * The warehouse side of conditional bonuses (features.md D4): the events that may earn an open
 * bonus, and the `offer_bonus_granted` fact of each grant (source `offers`).
 */

export const BONUS_GRANTED_EVENT = 'offer_bonus_granted';
export const OFFERS_SOURCE = 'offers';

/** One open offer's search: its user, the event it asks for and its window [from, until). */
export interface BonusSearch {
  userId: string;
  event: string;
  from: number;
  until: number;
}

const toMs = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());

/**
 * ClickHouse: the searches unpacked from the JSON parameter, and the window conditions in the
 * WHERE (older servers take no inequality in a JOIN's ON).
 */
const CH_CANDIDATES = `WITH s AS (
       SELECT JSONExtractString(o, 'u') AS s_user, JSONExtractString(o, 'e') AS s_event,
              JSONExtractInt(o, 'f') AS s_from, JSONExtractInt(o, 't') AS s_until
         FROM (SELECT arrayJoin(JSONExtractArrayRaw($1)) AS o))
     SELECT DISTINCT e.message_id AS message_id, e.user_id AS user_id, e.event AS event, e.ts AS ts, e.amount AS amount
       FROM events e JOIN s ON e.user_id = s.s_user AND e.event = s.s_event
      WHERE e.ts >= fromUnixTimestamp64Milli(s.s_from, 'UTC') AND e.ts < fromUnixTimestamp64Milli(s.s_until, 'UTC')
        AND ${ownEventSql('e')}`;

/**
 * The user's own events (never one Rekindle wrote) that fall in one of the searches' windows; the
 * pure rule (core/offers/bonus.ts) decides which earns what. Searches travel as one JSON parameter.
 */
export const candidateBonusEvents = async (
  w: WarehouseSql,
  searches: readonly BonusSearch[],
): Promise<CandidateEvent[]> => {
  if (searches.length === 0) return [];
  const rows = await w.query<{
    message_id: string;
    user_id: string;
    event: string;
    ts: unknown;
    amount: unknown;
  }>(
    w.dialect.name === 'clickhouse'
      ? CH_CANDIDATES
      : `WITH s AS (
       SELECT unnest(CAST(json_extract_string($1, '$[*].u') AS VARCHAR[])) AS user_id,
              unnest(CAST(json_extract_string($1, '$[*].e') AS VARCHAR[])) AS event,
              unnest(CAST(json_extract($1, '$[*].f') AS BIGINT[])) AS f,
              unnest(CAST(json_extract($1, '$[*].t') AS BIGINT[])) AS t)
     SELECT DISTINCT e.message_id, e.user_id, e.event, e.ts, e.amount
       FROM events e JOIN s ON e.user_id = s.user_id AND e.event = s.event
        AND e.ts >= epoch_ms(s.f) AND e.ts < epoch_ms(s.t)
      WHERE ${ownEventSql('e')}`,
    [JSON.stringify(searches.map((s) => ({ u: s.userId, e: s.event, f: s.from, t: s.until })))],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    userId: r.user_id,
    event: r.event,
    ts: toMs(r.ts),
    amount: typeof r.amount === 'number' ? r.amount : r.amount === null ? null : Number(r.amount),
  }));
};

/** A booked grant, as the control plane keeps it. */
export interface BookedGrant extends BonusGrant {
  grantedAt: number;
}

/**
 * Appends one `offer_bonus_granted` event per grant not yet in the warehouse (message id
 * `bonus:<code>`, at the grant time), so triggered campaigns ("you got 1 000 points") and alert
 * rules see it. Idempotent: the loop passes every recent grant each run, which also heals a crash
 * between booking a grant in the control plane and writing its fact here.
 */
export const appendBonusFacts = async (w: WarehouseSql, grants: readonly BookedGrant[]): Promise<number> => {
  if (grants.length === 0) return 0;
  const json = JSON.stringify(
    grants.map((g) => ({
      id: `bonus:${g.code}`,
      u: g.userId,
      at: g.grantedAt,
      p: {
        code: g.code,
        campaignId: g.campaignId,
        kind: g.kind,
        amount: g.amount,
        costCents: g.costCents,
        qualifyingMessageId: g.messageId,
        qualifyingEventAt: new Date(g.eventAt).toISOString(),
      },
    })),
  );
  if (w.dialect.name === 'clickhouse') return appendBonusFactsOnClickHouse(w, json);
  return w.write(
    `WITH g AS (
       SELECT unnest(CAST(json_extract_string($1, '$[*].id') AS VARCHAR[])) AS id,
              unnest(CAST(json_extract_string($1, '$[*].u') AS VARCHAR[])) AS user_id,
              unnest(CAST(json_extract($1, '$[*].at') AS BIGINT[])) AS at,
              unnest(CAST(json_extract($1, '$[*].p') AS JSON[])) AS p)
     INSERT INTO events (${EVENT_INSERT_COLUMNS})
     SELECT g.id, g.user_id, NULL, $2, epoch_ms(g.at), epoch_ms(g.at), NULL, NULL, NULL, NULL, NULL, NULL, g.p, $3
       FROM g WHERE NOT EXISTS (SELECT 1 FROM events x WHERE x.message_id = g.id)`,
    [json, BONUS_GRANTED_EVENT, OFFERS_SOURCE],
  );
};

/**
 * ClickHouse: the grants whose fact is missing, counted, then inserted in one INSERT … SELECT
 * (ClickHouse reports no written rows for it on every build). A pass cut between the two, or two
 * passes at once, are healed by the next: the NOT IN skips the facts already there, and the
 * insert's dedup token (the grant ids) stores a repeated insert of the same facts once.
 */
const appendBonusFactsOnClickHouse = async (w: WarehouseSql, json: string): Promise<number> => {
  const missing = `FROM (SELECT JSONExtractString(o, 'id') AS g_id, JSONExtractString(o, 'u') AS g_user,
                         JSONExtractInt(o, 'at') AS g_at, JSONExtractRaw(o, 'p') AS g_p
                    FROM (SELECT arrayJoin(JSONExtractArrayRaw($1)) AS o))
     WHERE g_id NOT IN (SELECT message_id FROM events WHERE event = $2)`;
  const ids = await w.query<{ g_id: string }>(`SELECT g_id ${missing} ORDER BY g_id`, [
    json,
    BONUS_GRANTED_EVENT,
  ]);
  if (ids.length === 0) return 0;
  // Only the insert's own text may name the token; a digest keeps it short and free of quotes.
  const token = createHash('sha256')
    .update(JSON.stringify(ids.map((r) => r.g_id)))
    .digest('hex');
  await w.write(
    `INSERT INTO events (${EVENT_INSERT_COLUMNS}) SETTINGS insert_deduplication_token = 'bonus_facts:${token}'
     SELECT g_id, g_user, NULL, $2, fromUnixTimestamp64Milli(g_at, 'UTC'), fromUnixTimestamp64Milli(g_at, 'UTC'),
            NULL, NULL, NULL, NULL, NULL, NULL, g_p, $3
     ${missing}`,
    [json, BONUS_GRANTED_EVENT, OFFERS_SOURCE],
  );
  return ids.length;
};
