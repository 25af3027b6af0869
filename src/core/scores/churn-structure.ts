import { profileField } from '../audience/fields.ts';
import { Params, safeJson, type CompiledQuery } from '../sql/params.ts';
import { duckdbDialect, type SqlDialect } from '../sql/dialect.ts';

import { BASE_STAGES, type BaseStage, type ProfileMetric, type ScoreConfig } from './config.ts';
import {
  baseStageSql,
  churnedSql,
  eventIn,
  eventNumber,
  lifecycleFactsSql,
  stageSql,
} from './scoring-sql.ts';
import { DAY_MS } from '../time/units.ts';

/**
 * Churn structure analysis (features.md B4), pure: the SQL that builds one row per user, the SQL of
 * each breakdown over those rows, and the arithmetic that turns counts into shares and rates.
 *
 * Population: users registered at least `churn.days` days before the analysis time (younger ones
 * cannot be churned yet; they are counted as `tooNew` and left out of every rate). A user is
 * churned by the workspace's churn definition. Each user has a *stage of record*: for a churned
 * user the stage (new, growing, mature) they were in at their last churn-relevant activity —
 * where they churned from —, for the others the stage they are in now. A stage's churn rate is
 * churned-from-it ÷ users who reached it (their stage of record is it or a later one), the share
 * of the users entering a stage who churned there.
 */

export const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

/** What registration cohorts are grouped by (features.md B4): the sign-up date, campaign or channel. */
export const COHORT_BYS = ['registration', 'campaign', 'channel'] as const;
export type CohortBy = (typeof COHORT_BYS)[number];
/** The width of a registration cohort; weeks start on Monday (ISO), all in UTC. */
export const COHORT_GRAINS = ['day', 'week', 'month'] as const;
export type CohortGrain = (typeof COHORT_GRAINS)[number];

/**
 * The acquisition campaign is a trait: the first of these keys a profile has (UTM parameters as
 * an app's attribution SDK or sign-up form passes them on identify). Segment keeps UTM values
 * in an event's `context.campaign`, which ingestion does not store, so send it as a trait.
 */
export const CAMPAIGN_TRAITS = [
  'utm_campaign',
  'utmCampaign',
  'acquisition_campaign',
  'acquisitionCampaign',
  'campaign',
] as const;
export const CS_TABLE = 'churn_structure_users';
export const UNKNOWN = '(unknown)';

const metricColumn = (i: number) => `m${i}`;

const metricSql = (p: Params, m: ProfileMetric): { select: string; fromEvents: boolean } => {
  if (m.kind === 'attribute') {
    const ref = profileField(m.attribute);
    if (!ref.ok) throw new Error(`invalid attribute '${m.attribute}': ${ref.error}`);
    const d = p.dialect;
    if (d.name === 'clickhouse') {
      // toFloat64 keeps a NULL (a CAST to Float64 fails on it).
      return {
        select:
          ref.value.kind === 'column'
            ? `toFloat64(p.${ref.value.column})`
            : d.toDouble(
                d.jsonText(
                  'p.traits',
                  d.jsonPath(ref.value.segments, ref.value.path, (v) => p.add(v)),
                ),
              ),
        fromEvents: false,
      };
    }
    return {
      select:
        ref.value.kind === 'column'
          ? `CAST(p.${ref.value.column} AS DOUBLE)`
          : `TRY_CAST(${safeJson('json_extract_string', 'p.traits', p.add(ref.value.path))} AS DOUBLE)`,
      fromEvents: false,
    };
  }
  const filter = `FILTER (WHERE e.event = ${p.add(m.event)})`;
  if (m.fn === 'count') return { select: `count(*) ${filter}`, fromEvents: true };
  const value = eventNumber(p, 'e', m.property ?? 'amount');
  const agg = m.fn === 'sum' ? `coalesce(sum(${value}) ${filter}, 0)` : `${m.fn}(${value}) ${filter}`;
  return { select: agg, fromEvents: true };
};

/**
 * One row per profile: `user_id, channel, campaign, reg, cohort, current_stage, churned,
 * eligible, stage, m0 … mN` (the profile metrics in config order). Run as `CREATE TEMP TABLE … AS`
 * on DuckDB; on ClickHouse (no session temp tables) it is the CTE `churn_structure_users` of each
 * breakdown (`onClickHouse`), and its LEFT JOINs need `join_use_nulls`.
 */
export const churnStructureBaseQuery = (
  config: ScoreConfig,
  now: number,
  dialect: SqlDialect = duckdbDialect,
): CompiledQuery => {
  const p = new Params(0, dialect);
  const ch = dialect.name === 'clickhouse';
  const nowSql = p.time(now);
  const facts = lifecycleFactsSql(p, config, now);
  const churned = churnedSql(p, config, now, 'f.');
  const current = stageSql(p, config, now, 'f.');
  const eligible = `f.reg <= ${p.time(now - config.churn.days * DAY_MS)}`;
  const order = config.lifecycle.mature.orderEvent;
  const metrics = config.analysis.profile.map((m) => metricSql(p, m));
  const eventMetrics = metrics.flatMap((m, i) => (m.fromEvents ? [`${m.select} AS ${metricColumn(i)}`] : []));
  const metricEvents = [
    ...new Set(config.analysis.profile.flatMap((m) => (m.kind === 'event' ? [m.event] : []))),
  ];
  const agg =
    eventMetrics.length === 0
      ? ''
      : ` LEFT JOIN (SELECT e.user_id, ${eventMetrics.join(', ')} FROM events e WHERE e.ts <= ${nowSql} AND ` +
        `${eventIn(p, 'e.event', metricEvents)} GROUP BY e.user_id) em ON em.user_id = f.user_id`;
  const metricSelects = metrics.map((m, i) => {
    const col = metricColumn(i);
    const def = config.analysis.profile[i];
    const zero = def?.kind === 'event' && (def.fn === 'count' || def.fn === 'sum');
    return m.fromEvents ? (zero ? `coalesce(em.${col}, 0) AS ${col}` : `em.${col}`) : `${m.select} AS ${col}`;
  });
  // Orders up to the moment a churned user was last active: the stage they churned from.
  const churnAt = 'greatest(f.reg, coalesce(f.last_churn, f.reg))';
  // ClickHouse joins on equalities only: the time condition is counted instead.
  const ordersThen = ch
    ? `SELECT f.user_id, countIf(e.ts <= ${churnAt}) AS orders_then FROM f LEFT JOIN ` +
      `(SELECT user_id, ts FROM events WHERE event = ${p.add(order)}) e ON e.user_id = f.user_id ` +
      `WHERE ${churned} GROUP BY f.user_id`
    : `SELECT f.user_id, count(e.user_id) AS orders_then FROM f LEFT JOIN events e ON e.user_id = f.user_id ` +
      `AND e.event = ${p.add(order)} AND e.ts <= ${churnAt} WHERE ${churned} GROUP BY f.user_id`;
  const stageThen = baseStageSql(p, config, churnAt, 'f.reg', 'coalesce(oc.orders_then, 0)');
  const stageNow = baseStageSql(p, config, nowSql, 'f.reg', 'f.orders');
  const campaign = CAMPAIGN_TRAITS.map((k) =>
    ch
      ? `nullIf(trimBoth(${dialect.jsonText(
          'p.traits',
          dialect.jsonPath([k], `$.${k}`, (v) => p.add(v)),
        )}), '')`
      : `nullif(trim(${safeJson('json_extract_string', 'p.traits', p.add(`$.${k}`))}), '')`,
  );
  const cohort = ch ? `formatDateTime(f.reg, '%Y-%m')` : `strftime(f.reg, '%Y-%m')`;
  return {
    sql:
      `WITH ${dialect.materializedCte('f', facts)}, oc AS (${ordersThen}) ` +
      `SELECT ${ch ? 'f.user_id AS user_id' : 'f.user_id'}, coalesce(p.acquisition_channel, ${p.add(UNKNOWN)}) AS channel, ` +
      `coalesce(${campaign.join(', ')}, ${p.add(UNKNOWN)}) AS campaign, f.reg AS reg, ` +
      `${cohort} AS cohort, ${current} AS current_stage, ${churned} AS churned, ` +
      `${eligible} AS eligible, CASE WHEN ${churned} THEN ${stageThen} ELSE ${stageNow} END AS stage` +
      `${metricSelects.map((s) => `, ${s}`).join('')} ` +
      `FROM f JOIN profiles p ON p.user_id = f.user_id LEFT JOIN oc ON oc.user_id = f.user_id` +
      agg,
    params: p.values,
  };
};

/** Breakdowns over the base table (no parameters). */
export const BREAKDOWN_SQL = {
  totals:
    `SELECT count(*) AS users, count(*) FILTER (WHERE eligible) AS eligible, ` +
    `count(*) FILTER (WHERE churned) AS churned FROM ${CS_TABLE}`,
  currentStages: `SELECT current_stage AS key, count(*) AS users FROM ${CS_TABLE} GROUP BY 1`,
  byChannelStage:
    `SELECT channel, stage, count(*) AS users, count(*) FILTER (WHERE churned) AS churned ` +
    `FROM ${CS_TABLE} WHERE eligible GROUP BY ALL`,
  byCohort:
    `SELECT cohort, count(*) AS users, count(*) FILTER (WHERE churned) AS churned ` +
    `FROM ${CS_TABLE} WHERE eligible GROUP BY 1 ORDER BY 1`,
} as const;

const GRAIN_SQL: Record<CohortGrain, { unit: string; format: string }> = {
  day: { unit: `'day'`, format: `'%Y-%m-%d'` },
  week: { unit: `'week'`, format: `'%Y-%m-%d'` },
  month: { unit: `'month'`, format: `'%Y-%m'` },
};

/** Registration days picked on a report: [fromMs, toMs), cohort keys read in `timeZone`. */
export interface CohortRange {
  fromMs: number;
  toMs: number;
  timeZone: string;
}

/**
 * Eligible users and churned ones per cohort: by registration day (`2026-05-31`), week (the
 * Monday it starts, `2026-05-25`) or month (`2026-05`), in time order; or by campaign or
 * channel, largest first. With a range, only users registered within it, and registration days,
 * weeks and months are those of the range's time zone (UTC without a range). The grain picks
 * from fixed SQL text; the range and zone are parameters.
 */
export const cohortBreakdownSql = (
  by: CohortBy,
  grain: CohortGrain,
  range: CohortRange | null = null,
  dialect: SqlDialect = duckdbDialect,
  offset = 0,
): CompiledQuery => {
  const p = new Params(offset, dialect);
  const counts = `count(*) AS users, count(*) FILTER (WHERE churned) AS churned`;
  const within = range === null ? '' : ` AND reg >= ${p.time(range.fromMs)} AND reg < ${p.time(range.toMs)}`;
  if (by === 'registration') {
    const g = GRAIN_SQL[grain];
    if (g === undefined) throw new Error(`not a cohort grain: ${String(grain)}`);
    if (dialect.name === 'clickhouse') {
      // reg is a UTC DateTime64: toTimeZone shows it in the operator's zone, which the day, the
      // week (toMonday: ISO weeks start on Monday, as date_trunc's) and the month follow.
      const local = range === null ? 'reg' : `toTimeZone(reg, ${p.add(range.timeZone)})`;
      const start =
        grain === 'day'
          ? `toDate(${local})`
          : grain === 'week'
            ? `toMonday(${local})`
            : `toStartOfMonth(${local})`;
      return {
        sql:
          `SELECT formatDateTime(${start}, ${g.format}) AS key, ${counts} ` +
          `FROM ${CS_TABLE} WHERE eligible${within} GROUP BY 1 ORDER BY 1`,
        params: p.values,
      };
    }
    // reg is a UTC wall time: as an instant, then as the wall time in the operator's zone.
    const local = range === null ? 'reg' : `timezone(${p.add(range.timeZone)}, timezone('UTC', reg))`;
    return {
      sql:
        `SELECT strftime(date_trunc(${g.unit}, ${local}), ${g.format}) AS key, ${counts} ` +
        `FROM ${CS_TABLE} WHERE eligible${within} GROUP BY 1 ORDER BY 1`,
      params: p.values,
    };
  }
  const column = by === 'campaign' ? 'campaign' : 'channel';
  return {
    sql: `SELECT ${column} AS key, ${counts} FROM ${CS_TABLE} WHERE eligible${within} GROUP BY 1 ORDER BY 2 DESC, 1`,
    params: p.values,
  };
};

/** Quantiles, mean and histogram of one profile metric for churned and retained users. */
export const metricProfileQuery = (
  config: ScoreConfig,
  index: number,
  dialect: SqlDialect = duckdbDialect,
  offset = 0,
): CompiledQuery => {
  const m = config.analysis.profile[index];
  if (m === undefined) throw new Error(`no profile metric ${index}`);
  const p = new Params(offset, dialect);
  const col = metricColumn(index);
  const edges = m.edges ?? [];
  const bins = edges.length === 0 ? [] : [`count(*) FILTER (WHERE ${col} < ${p.add(edges[0] ?? 0)})`];
  edges.forEach((e, i) => {
    const next = edges[i + 1];
    bins.push(
      next === undefined
        ? `count(*) FILTER (WHERE ${col} >= ${p.add(e)})`
        : `count(*) FILTER (WHERE ${col} >= ${p.add(e)} AND ${col} < ${p.add(next)})`,
    );
  });
  if (dialect.name === 'clickhouse') {
    // quantilesExactInclusive interpolates as quantile_cont does; over no values it answers
    // NaN (read as no value), DuckDB NULL.
    const q = `if(count(${col}) = 0, NULL, quantilesExactInclusive(${QUANTILES.join(', ')})(${col}))`;
    const hist = bins.length === 0 ? 'CAST([] AS Array(UInt64))' : `[${bins.join(', ')}]`;
    return {
      sql:
        `SELECT churned, count(*) AS users, count(${col}) AS n, avg(${col}) AS mean, ` +
        `${q} AS q, ${hist} AS histogram FROM ${CS_TABLE} WHERE eligible GROUP BY churned`,
      params: p.values,
    };
  }
  const histogram = bins.length === 0 ? '[]::BIGINT[]' : `[${bins.join(', ')}]`;
  return {
    sql:
      `SELECT churned, count(*) AS users, count(${col}) AS n, avg(${col}) AS mean, ` +
      `quantile_cont(${col}, [${QUANTILES.join(', ')}]) AS q, ${histogram} AS histogram ` +
      `FROM ${CS_TABLE} WHERE eligible GROUP BY churned`,
    params: p.values,
  };
};

/** The latest reason per user as of `now`, counted per reason and split by churned or not. */
export const reasonsQuery = (now: number, dialect: SqlDialect = duckdbDialect, offset = 0): CompiledQuery => {
  const p = new Params(offset, dialect);
  if (dialect.name === 'clickhouse') {
    // A LEFT JOIN onto the base CTE (itself joins) fails in ClickHouse's analyzer ("Left and
    // right columns have same names"); membership in its churned users counts the same.
    return {
      sql:
        `SELECT r.reason AS reason, count(*) AS users, ` +
        `countIf(r.user_id IN (SELECT user_id FROM ${CS_TABLE} WHERE churned)) AS churned FROM ` +
        `(SELECT user_id, ${dialect.argMax('reason', ['answered_at', 'recorded_at', 'id'])} AS reason ` +
        `FROM churn_reasons WHERE answered_at <= ${p.time(now)} GROUP BY user_id) r ` +
        `GROUP BY 1 ORDER BY 2 DESC, 1`,
      params: p.values,
    };
  }
  return {
    sql:
      `SELECT r.reason, count(*) AS users, count(*) FILTER (WHERE cs.churned) AS churned FROM ` +
      `(SELECT user_id, arg_max(reason, (answered_at, recorded_at, id)) AS reason FROM churn_reasons ` +
      `WHERE answered_at <= ${p.time(now)} GROUP BY user_id) r LEFT JOIN ${CS_TABLE} cs ON cs.user_id = r.user_id ` +
      `GROUP BY 1 ORDER BY 2 DESC, 1`,
    params: p.values,
  };
};

/**
 * A breakdown on ClickHouse: the base rows as the CTE `churn_structure_users` (computed by each
 * breakdown; ClickHouse has no session temp table), the breakdown's parameters numbered after
 * the base's (build it with `offset` = the base's parameter count), and NULLs for the rows a
 * LEFT JOIN does not find, as DuckDB has them.
 */
export const onClickHouse = (base: CompiledQuery, breakdown: CompiledQuery | string): CompiledQuery => {
  const b = typeof breakdown === 'string' ? { sql: breakdown, params: [] } : breakdown;
  return {
    sql: `WITH ${CS_TABLE} AS (${base.sql}) ${b.sql} SETTINGS join_use_nulls = 1`,
    params: [...base.params, ...b.params],
  };
};

// ---- arithmetic on the counts ----------------------------------------------------------------

const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export interface StageRow {
  stage: BaseStage;
  /** Users whose stage of record is this one or a later one. */
  reached: number;
  /** Users who churned while in this stage. */
  churned: number;
  /** churned ÷ reached (null when no one reached the stage). */
  churnRate: number | null;
  /** This stage's part of all churned users. */
  shareOfChurned: number | null;
}

/** Per base stage, from counts of (stage of record, churned) pairs. */
export const stageRows = (
  counts: readonly { stage: string; users: number; churned: number }[],
): StageRow[] => {
  const users = (s: BaseStage) => counts.filter((c) => c.stage === s).reduce((a, c) => a + c.users, 0);
  const churned = (s: BaseStage) => counts.filter((c) => c.stage === s).reduce((a, c) => a + c.churned, 0);
  const allChurned = BASE_STAGES.reduce((a, s) => a + churned(s), 0);
  return BASE_STAGES.map((stage, i) => {
    const reached = BASE_STAGES.slice(i).reduce((a, s) => a + users(s), 0);
    return {
      stage,
      reached,
      churned: churned(stage),
      churnRate: rate(churned(stage), reached),
      shareOfChurned: rate(churned(stage), allChurned),
    };
  });
};

export interface GroupRow {
  key: string;
  users: number;
  churned: number;
  churnRate: number | null;
  shareOfChurned: number | null;
}

export const groupRows = (
  counts: readonly { key: string; users: number; churned: number }[],
  totalChurned: number,
): GroupRow[] =>
  counts.map((c) => ({
    key: c.key,
    users: c.users,
    churned: c.churned,
    churnRate: rate(c.churned, c.users),
    shareOfChurned: rate(c.churned, totalChurned),
  }));

export interface HistogramBin {
  /** Inclusive lower edge; null for the first bin (everything below the first edge). */
  from: number | null;
  /** Exclusive upper edge; null for the last bin. */
  to: number | null;
  users: number;
  share: number | null;
}

/** Bins with their edges, from the counts in edge order (`edges.length + 1` of them). */
export const histogramBins = (
  edges: readonly number[],
  counts: readonly number[],
  n: number,
): HistogramBin[] =>
  counts.map((users, i) => ({
    from: i === 0 ? null : (edges[i - 1] ?? null),
    to: edges[i] ?? null,
    users,
    share: rate(users, n),
  }));

export { rate as shareOf };
