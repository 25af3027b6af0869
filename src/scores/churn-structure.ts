import type { DuckDBValue } from '@duckdb/node-api';
import type { Actor } from '../core/auth/roles.ts';
import type { CompiledQuery } from '../core/sql/params.ts';
import type { ScoreConfig } from '../core/scores/config.ts';
import {
  BREAKDOWN_SQL,
  churnStructureBaseQuery,
  cohortBreakdownSql,
  CS_TABLE,
  groupRows,
  histogramBins,
  metricProfileQuery,
  onClickHouse,
  QUANTILES,
  reasonsQuery,
  shareOf,
  stageRows,
  type CohortBy,
  type CohortGrain,
  type CohortRange,
  type GroupRow,
  type HistogramBin,
  type StageRow,
} from '../core/scores/churn-structure.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { Warehouse } from '../storage/warehouse/warehouse.ts';
import { refusal, type ScoresContext } from './context.ts';
import { loadScoreConfig } from './score-config.ts';
import { safeJsConverter } from '../storage/warehouse/js-values.ts';

/**
 * Churn structure analysis (features.md B4) computed in the warehouse: on DuckDB one temporary
 * table of per-user facts (see `churnStructureBaseQuery`) on a connection of its own, then one
 * small query per breakdown; on ClickHouse (no session temp table) each breakdown computes the
 * per-user rows as a CTE. Every number is
 * reproducible with the SQL of `src/core/scores/churn-structure.ts` as of `asOf`.
 */

export interface MetricSide {
  /** Users in the group. */
  users: number;
  /** Users with a value (an average or maximum has none without events). */
  withValue: number;
  mean: number | null;
  quantiles: { p: number; value: number | null }[];
  histogram: HistogramBin[];
}

export interface MetricProfile {
  name: string;
  churned: MetricSide;
  retained: MetricSide;
}

export interface ChannelRow extends GroupRow {
  stages: StageRow[];
}

export interface ChurnStructure {
  asOf: number;
  definition: ScoreConfig['churn'];
  users: number;
  /** Registered less than `churn.days` ago: cannot be churned yet, left out of every rate. */
  tooNew: number;
  eligible: number;
  churned: number;
  churnRate: number | null;
  /** Everyone's lifecycle stage now (all five stages). */
  currentStages: { stage: string; users: number; share: number | null }[];
  /** Where churned users churned from, and each stage's churn rate. */
  byStage: StageRow[];
  byChannel: ChannelRow[];
  /** Registration month (UTC). */
  byCohort: GroupRow[];
  /**
   * The cohorts asked for: registration day, week or month, acquisition campaign or channel; with
   * a range, of the users registered in it only (shares of the churned users among them).
   */
  cohorts: { by: CohortBy; grain: CohortGrain; range: CohortDays | null; rows: GroupRow[] };
  profile: MetricProfile[];
  /** Latest call-back answer per user, with how many of them are churned. */
  reasons: { reason: string; users: number; churned: number }[];
  elapsedMs: number;
}

/** The registration days a cohort breakdown was asked for, and where they start and end. */
export interface CohortDays extends CohortRange {
  from: string;
  to: string;
}

export interface CohortsAsked {
  by: CohortBy;
  grain: CohortGrain;
  range?: CohortDays | null | undefined;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

const side = (row: Record<string, unknown> | undefined, edges: readonly number[]): MetricSide => {
  if (row === undefined)
    return {
      users: 0,
      withValue: 0,
      mean: null,
      quantiles: QUANTILES.map((p) => ({ p, value: null })),
      histogram: histogramBins(
        edges,
        edges.length === 0 ? [] : Array.from({ length: edges.length + 1 }, () => 0),
        0,
      ),
    };
  const q = (row['q'] as unknown[] | null) ?? [];
  const users = num(row['users']);
  return {
    users,
    withValue: num(row['n']),
    mean: numOrNull(row['mean']),
    quantiles: QUANTILES.map((p, i) => ({ p, value: numOrNull(q[i]) })),
    histogram: histogramBins(edges, ((row['histogram'] as unknown[] | null) ?? []).map(num), num(row['n'])),
  };
};

/** Runs the analysis as of `asOf` with the given configuration (no permission check). */
/** How the breakdowns read: DuckDB's temp table on one connection, or ClickHouse's CTE. */
interface BreakdownReader {
  rows(q: CompiledQuery | string): Promise<Record<string, unknown>[]>;
  /** The parameter number the breakdowns' own parameters start after. */
  offset: number;
  close(): Promise<void>;
}

/**
 * DuckDB: the temp table lives on this connection only (the `Warehouse` class, not the seam: a
 * session of its own is what the seam does not offer).
 */
const duckDbReader = async (warehouse: Warehouse, base: CompiledQuery): Promise<BreakdownReader> => {
  const conn = await warehouse.connect();
  const rows = async (q: CompiledQuery | string) => {
    const c = typeof q === 'string' ? { sql: q, params: [] } : q;
    return (await conn.runAndReadAll(c.sql, c.params as DuckDBValue[])).convertRowObjects(safeJsConverter);
  };
  const close = async () => {
    await conn.run(`DROP TABLE IF EXISTS ${CS_TABLE}`).catch(() => undefined);
    conn.closeSync();
  };
  try {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${CS_TABLE} AS ${base.sql}`, base.params as DuckDBValue[]);
  } catch (e) {
    await close();
    throw e;
  }
  return { rows, offset: 0, close };
};

const clickHouseReader = (warehouse: WarehouseSql, base: CompiledQuery): BreakdownReader => ({
  rows: async (q) => {
    const c = onClickHouse(base, q);
    return warehouse.query(c.sql, c.params);
  },
  offset: base.params.length,
  close: () => Promise.resolve(),
});

/** A predicate's value as either engine answers it (ClickHouse: 1/0); NULL is neither. */
const isTrue = (v: unknown): boolean => v === true || v === 1;
const isFalse = (v: unknown): boolean => v === false || v === 0;

export const churnStructure = async (
  warehouse: WarehouseSql,
  config: ScoreConfig,
  asOf: number,
  cohortsBy: CohortsAsked = { by: 'registration', grain: 'month' },
): Promise<ChurnStructure> => {
  const started = performance.now();
  const d = warehouse.dialect;
  const base = churnStructureBaseQuery(config, asOf, d);
  const reader =
    warehouse instanceof Warehouse ? await duckDbReader(warehouse, base) : clickHouseReader(warehouse, base);
  const { rows, offset } = reader;
  try {
    const totals = (await rows(BREAKDOWN_SQL.totals))[0] ?? {};
    const users = num(totals['users']);
    const eligible = num(totals['eligible']);
    const churned = num(totals['churned']);
    const current = await rows(BREAKDOWN_SQL.currentStages);
    const order = ['new', 'growing', 'mature', 'silent', 'churned'];
    const currentStages = current
      .map((r) => ({ stage: String(r['key']), users: num(r['users']) }))
      .sort((a, b) => order.indexOf(a.stage) - order.indexOf(b.stage))
      .map((r) => ({ ...r, share: shareOf(r.users, users) }));
    const channelStage = (await rows(BREAKDOWN_SQL.byChannelStage)).map((r) => ({
      channel: String(r['channel']),
      stage: String(r['stage']),
      users: num(r['users']),
      churned: num(r['churned']),
    }));
    const channels = [...new Set(channelStage.map((r) => r.channel))].sort();
    const byChannel = groupRows(
      channels.map((key) => {
        const mine = channelStage.filter((r) => r.channel === key);
        return {
          key,
          users: mine.reduce((a, r) => a + r.users, 0),
          churned: mine.reduce((a, r) => a + r.churned, 0),
        };
      }),
      churned,
    ).map((g) => ({ ...g, stages: stageRows(channelStage.filter((r) => r.channel === g.key)) }));
    const byCohort = groupRows(
      (await rows(BREAKDOWN_SQL.byCohort)).map((r) => ({
        key: String(r['cohort']),
        users: num(r['users']),
        churned: num(r['churned']),
      })),
      churned,
    );
    const range = cohortsBy.range ?? null;
    const cohortCounts = (
      await rows(cohortBreakdownSql(cohortsBy.by, cohortsBy.grain, range, d, offset))
    ).map((r) => ({
      key: String(r['key']),
      users: num(r['users']),
      churned: num(r['churned']),
    }));
    const cohorts = {
      by: cohortsBy.by,
      grain: cohortsBy.grain,
      range,
      // Within a range every registered user is in one row: the rows' churned users are its whole.
      rows: groupRows(
        cohortCounts,
        range === null ? churned : cohortCounts.reduce((a, r) => a + r.churned, 0),
      ),
    };
    const profile: MetricProfile[] = [];
    for (const [i, m] of config.analysis.profile.entries()) {
      const sides = await rows(metricProfileQuery(config, i, d, offset));
      const edges = m.edges ?? [];
      profile.push({
        name: m.name,
        churned: side(
          sides.find((r) => isTrue(r['churned'])),
          edges,
        ),
        retained: side(
          sides.find((r) => isFalse(r['churned'])),
          edges,
        ),
      });
    }
    const reasons = (await rows(reasonsQuery(asOf, d, offset))).map((r) => ({
      reason: String(r['reason']),
      users: num(r['users']),
      churned: num(r['churned']),
    }));
    return {
      asOf,
      definition: config.churn,
      users,
      tooNew: users - eligible,
      eligible,
      churned,
      churnRate: shareOf(churned, eligible),
      currentStages,
      byStage: stageRows(channelStage),
      byChannel,
      byCohort,
      cohorts,
      profile,
      reasons,
      elapsedMs: performance.now() - started,
    };
  } finally {
    await reader.close();
  }
};

/** The analysis for a user of the workspace (everyone may read it). */
export const analyseChurnStructure = async (
  ctx: ScoresContext,
  actor: Actor,
  options: {
    asOf?: number | undefined;
    by?: CohortBy | undefined;
    grain?: CohortGrain | undefined;
    range?: CohortDays | null | undefined;
  } = {},
): Outcome<ChurnStructure> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  const { config } = await loadScoreConfig(ctx.control, actor.workspaceId);
  return ok(
    await churnStructure(ctx.warehouse, config, options.asOf ?? ctx.clock(), {
      by: options.by ?? 'registration',
      grain: options.grain ?? 'month',
      range: options.range ?? null,
    }),
  );
};
