import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { normaliseTraits } from '../../src/core/profile/traits.ts';
import { MAX_TIME_MS, MIN_TIME_MS } from '../../src/storage/clickhouse/ingest-rows.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { chdbDir, event, openClickHouse, readTables } from './ingest-support.ts';

/**
 * The same records committed into DuckDB's Warehouse and into ClickHouseWarehouse give the same
 * profiles, events and profile_history. ClickHouse folds profiles without regard to commit order,
 * so it is compared with two DuckDB runs:
 * - the records in time order (ts, received_at, message id) — DuckDB's rules then have one
 *   meaning: the newer call wins per column, traits merged per key, a JSON null removes the key;
 * - the very batches ClickHouse got, in the same order, whenever that order cannot matter to
 *   DuckDB either (every call of a user sets the same keys, no nulls, no group events): DuckDB
 *   decides per profile, not per column, which call is newer (docs/architecture.md, differences).
 */

const dir = chdbDir();

const USERS = ['u1', 'u2', 'ü-用户', 'u "quoted"'];
const EXTRA_KEYS = ['note', 'score', '标签', 'emoji😀', 'tags'];
const BASE = Date.UTC(2025, 5, 1);

const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !/\p{Cs}/u.test(s)); // no lone surrogate (ingestion refuses them)
const extreme = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e308, -1e308, 5e-324, -0, 2 ** 53 - 1, -(2 ** 53)),
  fc.integer(),
);
const timeArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }).map((k) => BASE + k * 60_000) },
  { weight: 1, arbitrary: fc.constantFrom(MIN_TIME_MS, MAX_TIME_MS) },
);

/** Per user: which keys its identify calls carry (the same every call, membership always). */
const shapeArb = fc.record({
  city: fc.boolean(),
  balance: fc.boolean(),
  consentPush: fc.boolean(),
  createdAt: fc.boolean(),
  pushToken: fc.boolean(),
  extra: fc.subarray(EXTRA_KEYS),
});
interface Shape {
  city: boolean;
  balance: boolean;
  consentPush: boolean;
  createdAt: boolean;
  pushToken: boolean;
  extra: string[];
}

const extraValue = (nullable: boolean) =>
  fc.oneof(
    text,
    extreme,
    fc.boolean(),
    fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 3 }),
    ...(nullable ? [fc.constant(null)] : []),
  );

type Draft =
  | { kind: 'event'; user: number; ts: number; name: string; amount: number | null; category: string | null }
  | { kind: 'identify'; user: number; ts: number; raw: Record<string, unknown> };

const draftArb = (shapes: Shape[], nullable: boolean, groups: boolean): fc.Arbitrary<Draft> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('event' as const),
      user: fc.nat(USERS.length - 1),
      ts: timeArb,
      name: groups ? fc.constantFrom('buy', 'view', 'group') : fc.constantFrom('buy', 'view'),
      amount: fc.option(extreme),
      category: fc.option(text),
    }),
    fc.nat(USERS.length - 1).chain((user) => {
      const s = shapes[user] as Shape;
      const raw: Record<string, fc.Arbitrary<unknown>> = { membership: text };
      if (s.city) raw['city'] = text;
      if (s.balance) raw['balance'] = extreme;
      if (s.consentPush) raw['consentPush'] = fc.boolean();
      if (s.createdAt) raw['createdAt'] = timeArb;
      if (s.pushToken) raw['pushToken'] = text;
      for (const k of s.extra) raw[k] = extraValue(nullable);
      return fc.record({
        kind: fc.constant('identify' as const),
        user: fc.constant(user),
        ts: timeArb,
        raw: fc.record(raw),
      });
    }),
  );

const caseArb = fc
  .record({
    shapes: fc.array(shapeArb, { minLength: USERS.length, maxLength: USERS.length }),
    nullable: fc.boolean(),
    groups: fc.boolean(),
  })
  .chain(({ shapes, nullable, groups }) =>
    fc.record({
      drafts: fc.array(draftArb(shapes, nullable, groups), { minLength: 1, maxLength: 24 }),
      cuts: fc.array(fc.nat(24), { maxLength: 6 }),
      orderFree: fc.constant(!nullable && !groups),
    }),
  );

interface Batch {
  events: EventRow[];
  identifies: IdentifyRow[];
}

/** Records from drafts: message ids in draft order, received_at rising batch by batch. */
const batchesOf = (drafts: readonly Draft[], cuts: readonly number[]): Batch[] => {
  const edges = new Set(cuts.filter((c) => c > 0 && c < drafts.length));
  const batches: Batch[] = [{ events: [], identifies: [] }];
  drafts.forEach((d, i) => {
    if (edges.has(i)) batches.push({ events: [], identifies: [] });
    const b = batches[batches.length - 1] as Batch;
    const messageId = `m${String(i).padStart(3, '0')}`;
    const userId = USERS[d.user] as string;
    const receivedAt = Date.UTC(2026, 0, 1) + batches.length * 1000;
    if (d.kind === 'event') {
      b.events.push(
        event({
          messageId,
          userId,
          ts: d.ts,
          receivedAt,
          event: d.name,
          amount: d.amount,
          category: d.category,
          properties: d.name === 'group' ? JSON.stringify({ groupId: `g-${d.ts % 7}` }) : '{}',
        }),
      );
    } else {
      const t = normaliseTraits(d.raw, 0);
      if (!t.ok) throw new Error(`generated traits are invalid: ${JSON.stringify(t.error)}`);
      b.identifies.push({ messageId, userId, ts: d.ts, receivedAt, ...t.value, source: 'http' });
    }
  });
  return batches;
};

/** The same records in time order (ts, received_at, message id), three records a batch. */
const inTimeOrder = (batches: readonly Batch[]): Batch[] => {
  type Tagged = { key: [number, number, string]; event?: EventRow; identify?: IdentifyRow };
  const all: Tagged[] = [];
  for (const b of batches) {
    for (const e of b.events) all.push({ key: [e.ts, e.receivedAt, e.messageId], event: e });
    for (const r of b.identifies) all.push({ key: [r.ts, r.receivedAt, r.messageId], identify: r });
  }
  all.sort((x, y) =>
    x.key[0] !== y.key[0]
      ? x.key[0] - y.key[0]
      : x.key[1] !== y.key[1]
        ? x.key[1] - y.key[1]
        : x.key[2] < y.key[2]
          ? -1
          : 1,
  );
  const out: Batch[] = [];
  for (let i = 0; i < all.length; i += 3) {
    const part = all.slice(i, i + 3);
    out.push({
      events: part.flatMap((t) => (t.event === undefined ? [] : [t.event])),
      identifies: part.flatMap((t) => (t.identify === undefined ? [] : [t.identify])),
    });
  }
  return out;
};

const commitAll = async (
  w: { commit(b: Batch & { rejections: [] }): Promise<{ refused: unknown[] }> },
  batches: readonly Batch[],
) => {
  for (const b of batches) {
    const r = await w.commit({ ...b, rejections: [] });
    expect(r.refused).toEqual([]);
  }
};

describe('ClickHouse ingestion against DuckDB (property)', () => {
  it('gives the profiles, events and history DuckDB gives', async () => {
    let compared = 0;
    let orderFreeCompared = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ drafts, cuts, orderFree }) => {
        const batches = batchesOf(drafts, cuts);
        const ch = await openClickHouse(dir);
        const sorted = await Warehouse.open(':memory:');
        const same = await Warehouse.open(':memory:');
        try {
          await commitAll(ch, batches);
          await commitAll(sorted, inTimeOrder(batches));
          await commitAll(same, batches);
          const got = await readTables(ch.db);
          const inOrder = await readTables(sorted);
          expect(got.profiles).toEqual(inOrder.profiles);
          expect(got.events).toEqual(inOrder.events);
          expect(got.history).toEqual(inOrder.history);
          compared++;
          if (orderFree) {
            // DuckDB leaves updated_at of a profile no identify touched at the earliest event of
            // the batch that made it, even when a later batch brings an older one (a difference
            // documented in docs/architecture.md); ClickHouse gives its first_seen.
            const identified = (rows: Record<string, unknown>[]) =>
              rows.map((p) =>
                Object.keys(p['traits'] as object).length === 0 ? { ...p, updated_at: null } : p,
              );
            expect(identified(got.profiles)).toEqual(identified((await readTables(same)).profiles));
            orderFreeCompared++;
          }
          // Background merges fold the state rows as the view does: same profiles after one.
          await ch.db.command('OPTIMIZE TABLE profile_state FINAL');
          expect((await readTables(ch.db)).profiles).toEqual(inOrder.profiles);
        } finally {
          sorted.close();
          same.close();
          await ch.close();
        }
      }),
      { numRuns: 40, seed: 20261207, endOnFailure: true },
    );
    expect(compared).toBe(40);
    expect(orderFreeCompared).toBeGreaterThan(3);
  });
});
