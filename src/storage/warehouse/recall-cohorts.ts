import { ownEventSql } from '../../core/events/system-events.ts';
import { numberOrZero } from '../row-values.ts';
import { inList, jsonList } from './id-list.ts';
import { EVENT_INSERT_COLUMNS, systemEventSelect } from './user-scores.ts';
import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * The north-star cohorts (features.md G5, G7) in the warehouse: users who converted — their goal event
 * within the window after their first message (treated) or after their slot (holdout) — and what
 * they did after converting.
 */

export interface CohortScope {
  /** The goal event. */
  event: string;
  windowMs: number;
  campaignId: string;
  /** The campaign's committed runs. */
  runIds: readonly string[];
}

export interface CohortCounts {
  users: number;
  repurchasers: number;
  repurchases: number;
  /** Average amount of the goal events in the repurchase window (the conversion included); null when none has one. */
  averageAmount: number | null;
  /** Users with any event of their own (not one Rekindle wrote) in week n after their conversion, by n (1-based). */
  activeByWeek: Map<number, number>;
}

// $1 event, $2 window ms, $3 campaign ids, $4 run ids.
const CONVERTED = (group: 'treated' | 'holdout') => `
  WITH g AS (${
    group === 'treated'
      ? `SELECT user_id, min(ts) AS start FROM message_facts WHERE status = 'sent'
           AND campaign_id IN (${inList('$3')}) AND run_id IN (${inList('$4')}) GROUP BY user_id`
      : `SELECT user_id, min(slot_at) AS start FROM decided_members WHERE decision = 'holdout' AND reason IS NULL
           AND campaign_id IN (${inList('$3')}) AND run_id IN (${inList('$4')}) GROUP BY user_id`
  })
  SELECT g.user_id, min(e.ts) AS converted_at FROM g JOIN events e ON e.user_id = g.user_id AND e.event = $1
    AND e.ts >= g.start AND e.ts < g.start + to_milliseconds(CAST($2 AS BIGINT))
  GROUP BY g.user_id`;

/**
 * CONVERTED on ClickHouse: the window test moves to WHERE (older servers join on equalities
 * only), in epoch ms.
 */
const chConverted = (group: 'treated' | 'holdout', d: SqlDialect) => `
  WITH g AS (${
    group === 'treated'
      ? `SELECT user_id, min(ts) AS start FROM message_facts WHERE status = 'sent'
           AND campaign_id IN (${inList('$3', d)}) AND run_id IN (${inList('$4', d)}) GROUP BY user_id`
      : `SELECT user_id, min(slot_at) AS start FROM decided_members WHERE decision = 'holdout' AND reason IS NULL
           AND campaign_id IN (${inList('$3', d)}) AND run_id IN (${inList('$4', d)}) GROUP BY user_id`
  })
  SELECT g.user_id AS user_id, min(e.ts) AS converted_at FROM g JOIN events e ON e.user_id = g.user_id
  WHERE e.event = $1 AND e.ts >= g.start AND ${d.msFromTime('e.ts')} < ${d.msFromTime('g.start')} + $2
  GROUP BY g.user_id`;

/** A whole number of days or weeks spliced into SQL (configuration, never request text). */
const wholeNumber = (n: number): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a whole number of days: ${n}`);
  return n;
};

const scopeParams = (s: CohortScope): (string | number)[] => [
  s.event,
  s.windowMs,
  jsonList([s.campaignId]),
  jsonList(s.runIds),
];

/** The converted users of one group, their repurchases within `repurchaseDays` and their activity over `retentionWeeks`. */
export const convertedCohort = async (
  w: WarehouseSql,
  group: 'treated' | 'holdout',
  scope: CohortScope,
  o: { repurchaseDays: number; retentionWeeks: number },
): Promise<CohortCounts> => {
  const params = scopeParams(scope);
  const d = w.dialect;
  const [s] = await w.query<Record<string, unknown>>(
    d.name === 'duckdb'
      ? `WITH c AS (${CONVERTED(group)}),
     o AS (SELECT c.user_id, e.ts, e.amount, e.ts > c.converted_at AS repeat FROM c JOIN events e
           ON e.user_id = c.user_id AND e.event = $1 AND e.ts >= c.converted_at
           AND e.ts <= c.converted_at + INTERVAL ${o.repurchaseDays} DAY)
     SELECT (SELECT count(*) FROM c) AS users,
       (SELECT count(DISTINCT user_id) FROM o WHERE repeat) AS repurchasers,
       (SELECT count(*) FROM o WHERE repeat) AS repurchases,
       (SELECT avg(amount) FROM o WHERE amount IS NOT NULL) AS aov`
      : // A day is 86,400,000 ms here as in DuckDB's INTERVAL over a zone-less TIMESTAMP.
        `WITH c AS (${chConverted(group, d)}),
     o AS (SELECT c.user_id AS user_id, e.ts AS ts, e.amount AS amount, e.ts > c.converted_at AS repeat
           FROM c JOIN events e ON e.user_id = c.user_id
           WHERE e.event = $1 AND e.ts >= c.converted_at
             AND ${d.msFromTime('e.ts')} <= ${d.msFromTime('c.converted_at')} + ${wholeNumber(o.repurchaseDays) * 86_400_000})
     SELECT (SELECT count(*) FROM c) AS users,
       (SELECT uniqExact(user_id) FROM o WHERE repeat) AS repurchasers,
       (SELECT count(*) FROM o WHERE repeat) AS repurchases,
       (SELECT avg(amount) FROM o WHERE amount IS NOT NULL) AS aov`,
    params,
  );
  const weeks = await w.query<{ w: unknown; n: unknown }>(
    d.name === 'duckdb'
      ? `WITH c AS (${CONVERTED(group)})
     SELECT CAST(floor(epoch_ms(e.ts - c.converted_at) / 604800000) AS INTEGER) + 1 AS w, count(DISTINCT c.user_id) AS n
     FROM c JOIN events e ON e.user_id = c.user_id AND e.ts > c.converted_at
       AND e.ts < c.converted_at + INTERVAL ${o.retentionWeeks * 7} DAY AND ${ownEventSql('e')}
     GROUP BY 1 ORDER BY 1`
      : `WITH c AS (${chConverted(group, d)})
     SELECT toInt64(floor((${d.msFromTime('e.ts')} - ${d.msFromTime('c.converted_at')}) / 604800000)) + 1 AS w,
       uniqExact(c.user_id) AS n
     FROM c JOIN events e ON e.user_id = c.user_id
     WHERE e.ts > c.converted_at
       AND ${d.msFromTime('e.ts')} < ${d.msFromTime('c.converted_at')} + ${wholeNumber(o.retentionWeeks) * 7 * 86_400_000}
       AND ${ownEventSql('e')}
     GROUP BY w ORDER BY w`,
    params,
  );
  const aov = s?.['aov'];
  return {
    users: numberOrZero(s?.['users']),
    repurchasers: numberOrZero(s?.['repurchasers']),
    repurchases: numberOrZero(s?.['repurchases']),
    averageAmount: aov === null || aov === undefined ? null : numberOrZero(aov),
    activeByWeek: new Map(weeks.map((r) => [numberOrZero(r.w), numberOrZero(r.n)])),
  };
};

/** What a relapse sweep writes, and when. */
export interface RelapseSweep {
  silentMs: number;
  now: number;
  silentDays: number;
  messagePrefix: string;
  event: string;
  source: string;
}

/**
 * Writes one system event per treated converted user with no event of their own (events Rekindle
 * wrote, e.g. `tier_changed`, do not break the silence) in the `silentMs`
 * after converting, once that spell has elapsed by `now` (at conversion + silentMs, message id
 * `<messagePrefix>:<user id>`, so a user gets it once). Returns the number written.
 */
export const insertRelapseEvents = async (
  w: WarehouseSql,
  scope: CohortScope,
  r: RelapseSweep,
): Promise<number> =>
  w.dialect.name === 'duckdb'
    ? w.transaction((tx) =>
        tx.run(
          `WITH c AS (${CONVERTED('treated')}),
       r AS (SELECT c.user_id, epoch_ms(c.converted_at) + $5 AS relapsed_ms, c.converted_at FROM c
             WHERE epoch_ms(c.converted_at) + $5 <= $6
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = c.user_id AND e.ts > c.converted_at
                               AND e.ts <= c.converted_at + to_milliseconds(CAST($5 AS BIGINT))
                               AND ${ownEventSql('e')}))
       INSERT INTO events (${EVENT_INSERT_COLUMNS}) SELECT ${systemEventSelect(
         'r.user_id',
         `json_object('campaignId', $3::JSON->>0, 'convertedAt', strftime(r.converted_at, '%Y-%m-%dT%H:%M:%S.%gZ'), 'silentDays', $7)`,
         { prefix: '$8', event: '$9', time: 'r.relapsed_ms', source: '$10' },
       )} FROM r
       WHERE NOT EXISTS (SELECT 1 FROM events x WHERE x.message_id = $8 || ':' || r.user_id)`,
          [...scopeParams(scope), r.silentMs, r.now, r.silentDays, r.messagePrefix, r.event, r.source],
        ),
      )
    : chInsertRelapseEvents(w, scope, r);

/**
 * insertRelapseEvents on ClickHouse: one INSERT … SELECT (there is no transaction), so a rerun
 * after a cut one writes only the users whose event is missing, by message id; NOT EXISTS becomes
 * NOT IN. chDB reports no written rows for an INSERT … SELECT, so the number written is the
 * sweep's events counted before and after (one sweep runs at a time: the alerts loop).
 */
const chInsertRelapseEvents = async (
  w: WarehouseSql,
  scope: CohortScope,
  r: RelapseSweep,
): Promise<number> => {
  const written = async () =>
    Number(
      await w.scalar('SELECT count() FROM events WHERE startsWith(message_id, $1)', [`${r.messagePrefix}:`]),
    );
  const before = await written();
  await w.write(
    `INSERT INTO events (${EVENT_INSERT_COLUMNS})
       WITH c AS (${chConverted('treated', w.dialect)}),
       busy AS (SELECT c.user_id AS user_id FROM c JOIN events e ON e.user_id = c.user_id
                WHERE e.ts > c.converted_at AND toUnixTimestamp64Milli(e.ts) <= toUnixTimestamp64Milli(c.converted_at) + $5
                  AND ${ownEventSql('e')}),
       r AS (SELECT c.user_id AS user_id, toUnixTimestamp64Milli(c.converted_at) + $5 AS relapsed_ms,
               c.converted_at AS converted_at FROM c
             WHERE toUnixTimestamp64Milli(c.converted_at) + $5 <= $6 AND c.user_id NOT IN (SELECT user_id FROM busy))
       SELECT concat($8, ':', r.user_id), r.user_id, NULL, $9, ${w.dialect.timeFromMs('toInt64(r.relapsed_ms)')},
         ${w.dialect.timeFromMs('toInt64(r.relapsed_ms)')}, NULL, NULL, NULL, NULL, NULL, NULL,
         ${CH_RELAPSE_PROPERTIES}, $10
       FROM r WHERE concat($8, ':', r.user_id) NOT IN (SELECT message_id FROM events WHERE startsWith(message_id, concat($8, ':')))`,
    [...scopeParams(scope), r.silentMs, r.now, r.silentDays, r.messagePrefix, r.event, r.source],
  );
  return (await written()) - before;
};

/**
 * The relapse event's properties as DuckDB's json_object writes them (no blanks; the conversion
 * time in ISO with milliseconds: formatDateTime's %f is six digits on some servers, so the
 * milliseconds are written from the epoch).
 */
const CH_RELAPSE_PROPERTIES =
  `concat('{"campaignId":', toJSONString(JSONExtractString($3, 1)), ',"convertedAt":"', ` +
  `formatDateTime(r.converted_at, '%Y-%m-%dT%H:%i:%S'), '.', ` +
  `leftPad(toString(toUnixTimestamp64Milli(r.converted_at) % 1000), 3, '0'), 'Z","silentDays":', toJSONString($7), '}')`;

/** Where a recalled (treated, converted) user stands against the relapse window at `now`. */
export type RelapseStatus = 'retained' | 'watching' | 'relapsed';

export interface RelapseState {
  userId: string;
  convertedAt: number;
  /** retained: an event of their own within the window; relapsed: none and the window has passed; watching: none yet, window still open. */
  status: RelapseStatus;
  /** Their first own event after converting, within the window (retained users). */
  backAt: number | null;
  /** Their latest own event after converting, by `now`. */
  lastActiveAt: number | null;
}

const msOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.getTime() : new Date(String(v)).getTime();

/**
 * Every recalled user of the campaign with their relapse status at `now` under a window of
 * `silentMs` — the rule of `insertRelapseEvents`, so `relapsed` here is who the sweep marks.
 * With `convertedFrom`/`convertedTo` (epoch ms, [from, to)), only users who converted then.
 */
export const relapseStates = async (
  w: WarehouseSql,
  scope: CohortScope,
  r: { silentMs: number; now: number; convertedFrom?: number | null; convertedTo?: number | null },
): Promise<RelapseState[]> => {
  const d = w.dialect;
  const rows = await w.query<Record<string, unknown>>(
    d.name === 'duckdb'
      ? `WITH c AS (${CONVERTED('treated')}),
     a AS (SELECT c.user_id, c.converted_at,
             (SELECT min(e.ts) FROM events e WHERE e.user_id = c.user_id AND e.ts > c.converted_at
                AND e.ts <= c.converted_at + to_milliseconds(CAST($5 AS BIGINT)) AND e.ts <= epoch_ms($6::BIGINT)
                AND ${ownEventSql('e')}) AS back_at,
             (SELECT max(e.ts) FROM events e WHERE e.user_id = c.user_id AND e.ts > c.converted_at
                AND e.ts <= epoch_ms($6::BIGINT) AND ${ownEventSql('e')}) AS last_at
           FROM c WHERE ($7::BIGINT IS NULL OR c.converted_at >= epoch_ms($7::BIGINT))
             AND ($8::BIGINT IS NULL OR c.converted_at < epoch_ms($8::BIGINT)))
     SELECT user_id, converted_at, back_at, last_at,
       CASE WHEN back_at IS NOT NULL THEN 'retained'
            WHEN epoch_ms(converted_at) + $5 <= $6 THEN 'relapsed' ELSE 'watching' END AS status
     FROM a ORDER BY converted_at, user_id`
      : // The correlated first and last activity become one aggregate joined back (a user without
        // any joins NULL: the columns are Nullable). An absent bound is a NULL parameter, cast.
        `WITH c AS (${chConverted('treated', d)}),
     x AS (SELECT c.user_id AS user_id,
             minIf(toNullable(e.ts), ${d.msFromTime('e.ts')} <= ${d.msFromTime('c.converted_at')} + $5) AS back_at,
             max(toNullable(e.ts)) AS last_at
           FROM c JOIN events e ON e.user_id = c.user_id
           WHERE e.ts > c.converted_at AND e.ts <= ${d.timeFromMs('$6')} AND ${ownEventSql('e')}
           GROUP BY c.user_id),
     a AS (SELECT c.user_id AS user_id, c.converted_at AS converted_at, x.back_at AS back_at, x.last_at AS last_at
           FROM c LEFT JOIN x ON x.user_id = c.user_id
           WHERE ($7 IS NULL OR c.converted_at >= ${d.timeFromMs('CAST($7 AS Nullable(Int64))')})
             AND ($8 IS NULL OR c.converted_at < ${d.timeFromMs('CAST($8 AS Nullable(Int64))')}))
     SELECT user_id, converted_at, back_at, last_at,
       CASE WHEN back_at IS NOT NULL THEN 'retained'
            WHEN ${d.msFromTime('converted_at')} + $5 <= $6 THEN 'relapsed' ELSE 'watching' END AS status
     FROM a ORDER BY converted_at, user_id`,
    [...scopeParams(scope), r.silentMs, r.now, r.convertedFrom ?? null, r.convertedTo ?? null],
  );
  return rows.map((x) => ({
    userId: String(x['user_id']),
    convertedAt: msOrNull(x['converted_at']) ?? 0,
    status: x['status'] as RelapseStatus,
    backAt: msOrNull(x['back_at']),
    lastActiveAt: msOrNull(x['last_at']),
  }));
};
