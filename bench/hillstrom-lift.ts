import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import {
  HILLSTROM_EMAILS,
  HILLSTROM_GOAL_EVENTS,
  HILLSTROM_README,
  HILLSTROM_WINDOW_DAYS,
  hillstromCampaignId,
  loadHillstrom,
  readHillstrom,
  type HillstromEmail,
  type HillstromGoal,
} from '../test/support/hillstrom-campaigns.ts';
import { apiCall, startTestServer } from '../test/support/runtime.ts';
import { tempDir } from '../test/support/tmp.ts';

/**
 * The holdout-lift report on a real randomised test (issue 21): the Hillstrom e-mail test loaded as
 * campaigns (test/support/hillstrom-campaigns.ts, the same load as test/hillstrom-lift.test.ts), and
 * GET /v1/campaigns/:id/lift, the console's campaign report, timed (median of 5 after a warm-up)
 * beside a hand-written DuckDB query of the same counts on the same stores; the figures beside the
 * README's.
 */

const DAY = 86_400_000;
const SENT_AT = Date.UTC(2008, 2, 3, 9);
const NOW = SENT_AT + 30 * DAY;

interface Group {
  users: number;
  converted: number;
  rate: number;
  revenuePerUser: number;
}

export interface HillstromLiftRow {
  email: HillstromEmail;
  goal: HillstromGoal;
  treated: Group;
  holdout: Group;
  lift: number;
  ci: { low: number; high: number };
  revenuePerUserLift: number;
  revenuePerUserCi: { low: number; high: number };
  /** Median ms of the report over HTTP. */
  ms: number;
  /** Median ms of the hand-written query. */
  handMs: number;
  /** The hand-written query's counts equal the report's. */
  handAgrees: boolean;
}

export interface HillstromLiftBench {
  customers: number;
  loadSeconds: number;
  rows: HillstromLiftRow[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const timed = async <T>(f: () => Promise<T>, times = 5): Promise<{ value: T; ms: number }> => {
  let value = await f();
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    value = await f();
    ms.push(performance.now() - t);
  }
  return { value, ms: median(ms) };
};

// The same question written by hand: each group's users from their start, the goal event within
// the window, counted per group.
const HAND = `WITH g AS (
    SELECT 'treated' AS grp, user_id, min(ts) AS start FROM message_facts
    WHERE campaign_id = $1 AND status = 'sent' GROUP BY user_id
    UNION ALL
    SELECT 'holdout', user_id, min(slot_at) FROM decided_members
    WHERE campaign_id = $1 AND decision = 'holdout' AND reason IS NULL GROUP BY user_id),
  m AS (
    SELECT g.grp, g.user_id, count(e.user_id) > 0 AS conv, coalesce(sum(e.amount), 0) AS rev
    FROM g LEFT JOIN events e ON e.user_id = g.user_id AND e.event = $2
      AND e.ts >= g.start AND e.ts < g.start + to_days(CAST($3 AS INTEGER))
    GROUP BY g.grp, g.user_id)
  SELECT grp, count(*) AS users, count(*) FILTER (WHERE conv) AS converted, sum(rev) AS revenue
  FROM m GROUP BY grp ORDER BY grp`;

interface ReportGroup {
  users: number;
  converted: number;
  rate: number;
  revenuePerUser: number;
}
interface ReportComparison {
  absoluteLift: number;
  absoluteCi: { low: number; high: number };
  revenuePerUserLift: number;
  revenuePerUserCi: { low: number; high: number };
}

export const benchHillstromLift = async (log: (s: string) => void): Promise<HillstromLiftBench> => {
  const dir = tempDir('rekindle-bench-hillstrom-');
  const server = await startTestServer({ clock: () => NOW });
  try {
    const customers = readHillstrom();
    const op = await createUser(server.rt.control, { name: 'bench', role: 'operator' });
    if (!op.ok) throw new Error('user exists');
    const token = await issueApiToken(server.rt.control, op.value.id);
    const t0 = performance.now();
    await loadHillstrom(server.rt, customers, {
      ownerId: op.value.id,
      sentAt: SENT_AT,
      clock: () => NOW,
      dir: dir.dir,
    });
    const loadSeconds = (performance.now() - t0) / 1000;
    log(`    loaded ${customers.length} customers as 4 campaigns in ${loadSeconds.toFixed(1)} s`);
    const rows: HillstromLiftRow[] = [];
    for (const email of Object.keys(HILLSTROM_EMAILS) as HillstromEmail[])
      for (const goal of ['visit', 'order'] as const) {
        const id = hillstromCampaignId(email, goal);
        const report = await timed(async () => {
          const r = await apiCall(server.url, token, 'GET', `/v1/campaigns/${id}/lift`);
          if (r.status !== 200) throw new Error(`lift of ${id}: ${r.status}`);
          return r.json as unknown as {
            treatment: ReportGroup;
            holdout: ReportGroup;
            vsHoldout: ReportComparison;
          };
        });
        const hand = await timed(() =>
          server.rt.warehouse.query<{ grp: string; users: unknown; converted: unknown; revenue: unknown }>(
            HAND,
            [id, HILLSTROM_GOAL_EVENTS[goal], HILLSTROM_WINDOW_DAYS],
          ),
        );
        const { treatment, holdout, vsHoldout } = report.value;
        const handOf = (grp: string) => hand.value.find((r) => r.grp === grp);
        const agrees = (g: ReportGroup, grp: string) => {
          const h = handOf(grp);
          return (
            h !== undefined &&
            Number(h.users) === g.users &&
            Number(h.converted) === g.converted &&
            Math.abs(Number(h.revenue) / g.users - g.revenuePerUser) < 1e-9
          );
        };
        const group = (g: ReportGroup): Group => ({
          users: g.users,
          converted: g.converted,
          rate: g.rate,
          revenuePerUser: g.revenuePerUser,
        });
        rows.push({
          email,
          goal,
          treated: group(treatment),
          holdout: group(holdout),
          lift: vsHoldout.absoluteLift,
          ci: vsHoldout.absoluteCi,
          revenuePerUserLift: vsHoldout.revenuePerUserLift,
          revenuePerUserCi: vsHoldout.revenuePerUserCi,
          ms: report.ms,
          handMs: hand.ms,
          handAgrees: agrees(treatment, 'treated') && agrees(holdout, 'holdout'),
        });
        log(`    ${id}: ${report.ms.toFixed(0)} ms (hand-written ${hand.ms.toFixed(0)} ms)`);
      }
    return { customers: customers.length, loadSeconds, rows };
  } finally {
    await server.stop();
    server.cleanup();
    dir.cleanup();
  }
};

const pct = (x: number) => `${(100 * x).toFixed(4)} %`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

/** Rows for docs/benchmarks.md' table, one per campaign (e-mail × goal). */
export const hillstromLiftRows = (b: HillstromLiftBench): string[] =>
  b.rows.map((r) => {
    const readme = HILLSTROM_README[r.email];
    const control = HILLSTROM_README.control;
    const ours =
      r.goal === 'visit'
        ? `visit ${pct(r.treated.rate)} vs ${pct(r.holdout.rate)}, lift ${pts(r.lift)} pts (95 % CI ${pts(r.ci.low)}…${pts(r.ci.high)})`
        : `conversion ${pct(r.treated.rate)} vs ${pct(r.holdout.rate)}, lift ${pts(r.lift)} pts (95 % CI ${pts(r.ci.low)}…${pts(r.ci.high)}); spend per customer ${r.treated.revenuePerUser.toFixed(4)} vs ${r.holdout.revenuePerUser.toFixed(4)}`;
    const theirs =
      r.goal === 'visit'
        ? `README: visit ${readme.visit} % vs ${control.visit} %`
        : `README: conversion ${readme.conversion} % vs ${control.conversion} %, spend ${readme.spend} vs ${control.spend}`;
    const same =
      r.treated.users === readme.n &&
      r.holdout.users === control.n &&
      (r.goal === 'visit'
        ? (100 * r.treated.rate).toFixed(4) === readme.visit &&
          (100 * r.holdout.rate).toFixed(4) === control.visit
        : (100 * r.treated.rate).toFixed(4) === readme.conversion &&
          (100 * r.holdout.rate).toFixed(4) === control.conversion &&
          r.treated.revenuePerUser.toFixed(4) === readme.spend &&
          r.holdout.revenuePerUser.toFixed(4) === control.spend);
    return `| Holdout lift on the Hillstrom e-mail test (real, randomised), ${HILLSTROM_EMAILS[r.email]} vs No E-Mail, goal ${r.goal === 'visit' ? 'visit' : 'order'} within ${HILLSTROM_WINDOW_DAYS} days, \`GET /v1/campaigns/:id/lift\` | ${b.customers.toLocaleString('en-US')} customers: ${r.treated.users.toLocaleString('en-US')} sent, ${r.holdout.users.toLocaleString('en-US')} held out | **${ours}; ${r.ms.toFixed(0)} ms** | ${theirs} (${same ? 'equal at its precision' : '**differs**'}); hand-written DuckDB query of the same counts: ${r.handMs.toFixed(0)} ms${r.handAgrees ? '' : ' (**counts differ**)'} | ${(r.ms / r.handMs).toFixed(2)}× | the README's figures |`;
  });
