import { randomBytes } from 'node:crypto';
import type { EventRow, IdentifyRow, ProfileColumnValues } from '../../src/core/events/rows.ts';
import type { ScoreConfig } from '../../src/core/scores/config.ts';
import type { ScoresContext } from '../../src/scores/context.ts';
import { migrate } from '../../src/storage/control/migrate.ts';
import { openSqlClient } from '../../src/storage/control/sql-client.ts';
import { bindMasterKeys } from '../../src/storage/control/workspace-secrets.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import type { WarehouseStore } from '../../src/storage/warehouse-sql.ts';

/**
 * Hand-made users for the score tests: a real DuckDB warehouse (in memory) and a PGlite control
 * plane, a clock the test moves, and helpers to write profiles and events at known times.
 */
export const NOW = Date.UTC(2026, 10, 20, 12);
export const DAY = 86_400_000;
export const daysAgo = (d: number, from = NOW) => from - d * DAY;

/** A scenario's stores: the embedded DuckDB warehouse (its own methods too) and an in-memory PGlite. */
export interface ScenarioStore extends ScoresContext<Warehouse> {
  setNow(ms: number): void;
  close(): Promise<void>;
}

export const openScenario = async (): Promise<ScenarioStore> => {
  let now = NOW;
  const control = await openSqlClient({ pgliteDir: 'memory://' });
  await migrate(control);
  // As openRuntime does: workspace secrets are sealed with a master key (here one for this store).
  bindMasterKeys(control, { current: randomBytes(32), previous: [] });
  const warehouse = await Warehouse.open(':memory:');
  return {
    control,
    warehouse,
    clock: () => now,
    setNow: (ms) => {
      now = ms;
    },
    close: async () => {
      warehouse.close();
      await control.close();
    },
  };
};

let seq = 0;

export const profile = (
  userId: string,
  registeredAt: number,
  columns: Partial<ProfileColumnValues> = {},
  traits: Record<string, unknown> = {},
): IdentifyRow => ({
  messageId: `id-${userId}-${seq++}`,
  userId,
  ts: registeredAt,
  receivedAt: registeredAt,
  columns: { register_time: registeredAt, ...columns },
  traits: { ...columns, ...traits },
  source: 'import',
});

export const event = (userId: string, name: string, ts: number, amount: number | null = null): EventRow => ({
  messageId: `ev-${userId}-${name}-${seq++}`,
  userId,
  anonymousId: null,
  event: name,
  ts,
  receivedAt: ts,
  amount,
  currency: amount === null ? null : 'CNY',
  productId: null,
  category: null,
  orderId: null,
  platform: null,
  properties: '{}',
  source: 'import',
});

export const seed = (w: Pick<WarehouseStore, 'commit'>, identifies: IdentifyRow[], events: EventRow[] = []) =>
  w.commit({ events, identifies, rejections: [] });

/**
 * A small configuration with round numbers, so expected stages and scores can be worked out by
 * hand: churned = no login or invest for 30 days; silent after 14 days without activity; new
 * under 30 days; mature from 3 orders and 90 days; RFM on orders with fixed bins.
 */
export const TEST_CONFIG: ScoreConfig = {
  churn: { events: ['login', 'invest'], days: 30 },
  lifecycle: {
    activityEvents: ['login', 'view_item', 'order', 'invest'],
    newDays: 30,
    silentDays: 14,
    mature: { orderEvent: 'order', minOrders: 3, minTenureDays: 90 },
  },
  rfm: {
    event: 'order',
    amount: 'amount',
    windowDays: 365,
    bins: {
      recency: { type: 'fixed', edges: [7, 30, 90, 180] },
      frequency: { type: 'fixed', edges: [1, 2, 4, 8] },
      monetary: { type: 'fixed', edges: [100, 500, 1000, 5000] },
    },
    tiers: [
      { name: 'high', total: { min: 12 } },
      { name: 'medium', total: { min: 8 } },
    ],
    otherwise: 'low',
    noPurchase: 'none',
  },
  analysis: {
    profile: [
      { kind: 'event', name: 'orders', event: 'order', fn: 'count', edges: [1, 3] },
      { kind: 'event', name: 'max_order_amount', event: 'order', fn: 'max', property: 'amount' },
      { kind: 'attribute', name: 'balance', attribute: 'balance' },
    ],
  },
  churnReasons: { codes: ['economic', 'bad_experience', 'natural_loss', 'other'] },
};

/**
 * Seven users whose stages and tiers at NOW follow from TEST_CONFIG (worked out in the tests):
 * n1 new, n2 silent (young, inactive), g1 growing, m1 mature, s1 silent, c1 churned, c2 growing.
 * Their records; `seedSevenUsers` commits them (the scores engine suite, on both engines).
 */
export const sevenUsers = (): { identifies: IdentifyRow[]; events: EventRow[] } => ({
  identifies: [
    profile('n1', daysAgo(10), { acquisition_channel: 'distribution', balance: 0 }),
    profile('n2', daysAgo(20), { acquisition_channel: 'social', balance: 0 }),
    profile('g1', daysAgo(60), { acquisition_channel: 'distribution', balance: 50 }),
    profile('m1', daysAgo(200), { acquisition_channel: 'organic', balance: 1000 }),
    profile('s1', daysAgo(200), { acquisition_channel: 'organic', balance: 20 }),
    profile('c1', daysAgo(300), { acquisition_channel: 'distribution', balance: 0 }),
    profile('c2', daysAgo(100), { acquisition_channel: 'social', balance: 300 }),
  ],
  events: [
    event('n1', 'login', daysAgo(2)),
    event('g1', 'login', daysAgo(3)),
    event('g1', 'order', daysAgo(10), 50),
    event('m1', 'login', daysAgo(1)),
    ...[2, 20, 40, 60, 100].map((d) => event('m1', 'order', daysAgo(d), 300)),
    event('s1', 'login', daysAgo(20)),
    ...[20, 25, 50, 150].map((d) => event('s1', 'order', daysAgo(d), 100)),
    event('c1', 'login', daysAgo(45)),
    event('c1', 'view_item', daysAgo(5)),
    event('c1', 'order', daysAgo(200), 6000),
    event('c2', 'invest', daysAgo(12), 1000),
  ],
});

export const seedSevenUsers = async (w: Pick<WarehouseStore, 'commit'>): Promise<void> => {
  const { identifies, events } = sevenUsers();
  await seed(w, identifies, events);
};
