import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attributeInMemory,
  attributionQuery,
  type AttributionGoal,
} from '../../src/core/conversions/attribution.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { forgetRefusedAddresses } from '../../src/delivery/forget-addresses.ts';
import { runAttribution } from '../../src/conversions/attribute.ts';
import { shipFacts } from '../../src/facts/ship.ts';
import { createUser } from '../../src/storage/control/users.ts';
import type { Recorded } from '../../src/outbox/record.ts';
import { migrate } from '../../src/storage/control/migrate.ts';
import { appendMessageLog, type MessageLogRow } from '../../src/storage/control/message-log.ts';
import { SHIP_T0, sentLogEntry } from './sent-log-entry.ts';
import { openSqlClient, type SqlClient } from '../../src/storage/control/sql-client.ts';
import {
  appendBonusFacts,
  BONUS_GRANTED_EVENT,
  candidateBonusEvents,
  type BookedGrant,
} from '../../src/storage/warehouse/bonus-events.ts';
import { rewriteConversions } from '../../src/storage/warehouse/conversion-rewrite.ts';
import { goalConversions } from '../../src/storage/warehouse/goal-conversions.ts';
import { appendMessageFacts, shippedFactsCursor } from '../../src/storage/warehouse/message-facts.ts';
import {
  deleteMembersOfSnapshots,
  deleteSkippedDecisionsBefore,
} from '../../src/storage/warehouse/retention-deletes.ts';
import { eventsArrivedBetween, userEventsUntil } from '../../src/storage/warehouse/trigger-events.ts';
import { recordBuilders } from './record-builders.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';

/**
 * The facts and attribution statements on one engine (test/facts-engines.test.ts: DuckDB,
 * test/clickhouse/facts-engines.test.ts: ClickHouse), with the same data and the same expected
 * values on both: facts shipped exactly once across a cut pass, conversions attributed to the
 * last touch within the window and not doubled by a rerun, lift members' conversions, bonus
 * events, trigger reads and retention deletes.
 */

const T0 = SHIP_T0;
const HOUR = 3_600_000;

/** A `sent` fact as the shipper writes it. */
const sent = (seq: number, key: string, campaignId: string, userId: string, at: number): MessageLogRow => ({
  workspaceId: 'default',
  idempotencyKey: key,
  campaignId,
  runId: `run-${campaignId}`,
  step: '0',
  variant: null,
  userId,
  channel: 'push',
  kind: 'sent',
  at,
  costCents: 10,
  revenueCents: 0,
  properties: {},
  seq,
});

const num = (v: unknown): number => Number(v);

export const factsSuite = (engine: WarehouseEngine): void => {
  describe(`facts and attribution on ${engine}`, () => {
    let w: EngineWarehouse;
    let control: SqlClient;
    beforeAll(async () => {
      w = await openEngineWarehouse(engine, 'facts');
      control = await openSqlClient({ pgliteDir: 'memory://' });
      await migrate(control);
    });
    afterAll(async () => {
      await control.close();
      await w.close();
    });

    it('ships every log row once across a pass cut after its first batch', async () => {
      await appendMessageLog(
        control,
        Array.from({ length: 250 }, (_, i) => sentLogEntry(i)),
      );
      const cut = new Error('cut after the first batch');
      await expect(
        shipFacts(control, w.sql, {
          clock: () => T0,
          batchSize: 100,
          afterBatch: () => {
            throw cut;
          },
        }),
      ).rejects.toBe(cut);
      expect(await shippedFactsCursor(w.sql)).toBe(100);
      const r = await shipFacts(control, w.sql, { clock: () => T0, batchSize: 100 });
      expect(r).toEqual({ shipped: 150, batches: 2, cursor: 250, waiting: false });
      const [sum] = await w.sql.query<{ n: unknown; seqs: unknown; cost: unknown; first: Date }>(
        `SELECT count(*) AS n, count(DISTINCT seq) AS seqs, sum(cost) AS cost, min(ts) AS first FROM message_facts`,
      );
      expect(num(sum?.n)).toBe(250);
      expect(num(sum?.seqs)).toBe(250);
      expect(num(sum?.cost)).toBeCloseTo(12.5, 9);
      expect(sum?.first.getTime()).toBe(T0);
      const [u7] = await w.sql.query<{
        message_id: string;
        variant: string;
        properties: string;
        status: string;
      }>(`SELECT message_id, variant, properties, status FROM message_facts WHERE user_id = 'u7'`);
      expect(u7).toEqual({ message_id: 'c1:r1:0:u7', variant: 'b', properties: '{"n":7}', status: 'sent' });
      // A pass with nothing new ships nothing.
      expect((await shipFacts(control, w.sql, { clock: () => T0, batchSize: 100 })).shipped).toBe(0);
    });

    it('stores a batch inserted twice once on ClickHouse (its insert dedup token)', async () => {
      if (engine !== 'clickhouse') return; // DuckDB: the cursor and the append are one transaction
      const rows = Array.from({ length: 3 }, (_, i) => sent(1001 + i, `dup${i}`, 'cdup', `d${i}`, T0));
      await w.sql.transaction((tx) => appendMessageFacts(tx, rows, w.sql.dialect));
      await w.sql.transaction((tx) => appendMessageFacts(tx, rows, w.sql.dialect));
      expect(num(await w.sql.scalar(`SELECT count(*) FROM message_facts WHERE campaign_id = 'cdup'`))).toBe(
        3,
      );
    });

    describe('attribution', () => {
      const goals: AttributionGoal[] = [
        { campaignId: 'ca', event: 'purchase', withinMs: 3 * DAY_MS },
        { campaignId: 'cb', event: 'purchase', withinMs: 1 * DAY_MS },
      ];
      const facts = [
        sent(2001, 'ka-u1', 'ca', 'x1', T0),
        sent(2002, 'kb-u1', 'cb', 'x1', T0 + HOUR),
        // A second `sent` of the same message later: its first send time counts.
        sent(2003, 'ka-u1', 'ca', 'x1', T0 + 5 * HOUR),
        sent(2004, 'ka-u2', 'ca', 'x2', T0),
        sent(2005, 'k1-u3', 'ca', 'x3', T0),
        sent(2006, 'k2-u3', 'ca', 'x3', T0),
        sent(2007, 'kb-u4', 'cb', 'x4', T0),
      ];
      const b = recordBuilders(T0 + 10 * DAY_MS);
      const events = [
        // x1: the last touch before the purchase is kb-u1 (cb, 1 day window covers 2 h).
        b.track('x1', 'purchase', T0 + 2 * HOUR, { amount: 30 }),
        // x2: 4 days after ka-u2's send, past its 3-day window: no conversion.
        b.track('x2', 'purchase', T0 + 4 * DAY_MS, { amount: 5 }),
        // x3: two sends at the same instant: the larger key wins.
        b.track('x3', 'purchase', T0 + HOUR, { amount: 12.5 }),
        // x4: cb's window is 1 day; 2 days later is none.
        b.track('x4', 'purchase', T0 + 2 * DAY_MS),
        // Not a goal event.
        b.track('x1', 'view', T0 + 3 * HOUR),
        // Before any send: none.
        b.track('x2', 'purchase', T0 - HOUR, { amount: 1 }),
      ];
      const range = { since: T0 - DAY_MS, until: T0 + 9 * DAY_MS };
      const conversions = async () =>
        (
          await w.sql.query<{
            event_message_id: string;
            idempotency_key: string;
            revenue: number | null;
            message_ts: Date;
          }>(
            `SELECT event_message_id, idempotency_key, revenue, message_ts FROM conversions ORDER BY event_message_id`,
          )
        ).map((r) => [r.event_message_id, r.idempotency_key, r.revenue, r.message_ts.getTime()]);

      beforeAll(async () => {
        await w.sql.transaction((tx) => appendMessageFacts(tx, facts, w.sql.dialect));
        await w.commit({ events, identifies: [] });
      });

      const run = (attributedAt: number) =>
        rewriteConversions(
          w.sql,
          attributionQuery(goals, { ...range, attributedAt }, w.sql.dialect),
          range.since,
          range.until,
        );

      it('attributes each goal event to the last touch within its window, as the reference does', async () => {
        const r = await run(T0 + 9 * DAY_MS);
        expect(r).toEqual({ removed: 0, added: 2, inRange: 2 });
        const expected = [
          [events[0]!.messageId, 'kb-u1', 30, T0 + HOUR],
          [events[2]!.messageId, 'k2-u3', 12.5, T0],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
        expect(await conversions()).toEqual(expected);
        const reference = attributeInMemory(
          goals,
          events.map((e) => ({ messageId: e.messageId, userId: e.userId, event: e.event, ts: e.ts })),
          facts.map((f) => ({
            idempotencyKey: f.idempotencyKey,
            campaignId: f.campaignId,
            userId: f.userId,
            ts: f.at,
          })),
          range,
        );
        expect(new Map((await conversions()).map((c) => [c[0], c[1]]))).toEqual(reference);
      });

      it('a rerun changes nothing and keeps the first attributed_at', async () => {
        const r = await run(T0 + 9 * DAY_MS + HOUR);
        expect(r).toEqual({ removed: 0, added: 0, inRange: 2 });
        const at = await w.sql.query<{ n: unknown; first: Date }>(
          'SELECT count(*) AS n, max(attributed_at) AS first FROM conversions',
        );
        expect(num(at[0]?.n)).toBe(2);
        expect(at[0]?.first.getTime()).toBe(T0 + 9 * DAY_MS);
      });

      it('a late fact re-attributes a conversion: one removed, one added, none doubled', async () => {
        await w.sql.transaction((tx) =>
          appendMessageFacts(tx, [sent(2008, 'kc-u1', 'ca', 'x1', T0 + 90 * 60_000)], w.sql.dialect),
        );
        const r = await run(T0 + 9 * DAY_MS + 2 * HOUR);
        expect(r).toEqual({ removed: 1, added: 1, inRange: 2 });
        expect((await conversions()).find((c) => c[0] === events[0]!.messageId)).toEqual([
          events[0]!.messageId,
          'kc-u1',
          30,
          T0 + 90 * 60_000,
        ]);
        // A pass cut after its delete (the conversion gone, not re-added) is repaired by the next.
        await w.sql.write(`DELETE FROM conversions WHERE event_message_id = $1`, [events[2]!.messageId]);
        expect(await run(T0 + 9 * DAY_MS + 3 * HOUR)).toEqual({ removed: 0, added: 1, inRange: 2 });
      });

      it('no goals: the conversions of the range are removed', async () => {
        const r = await rewriteConversions(w.sql, null, range.since, range.until);
        expect(r).toEqual({ removed: 2, added: 0, inRange: 0 });
        await run(T0 + 9 * DAY_MS);
        expect((await conversions()).length).toBe(2);
      });

      it('the attribution service reads the goals from the control plane and writes the same conversions', async () => {
        const owner = await createUser(control, { name: 'olga', role: 'operator' });
        if (!owner.ok) throw new Error('owner');
        for (const [id, days] of [
          ['ca', 3],
          ['cb', 1],
        ] as const)
          await control.query(
            `INSERT INTO campaigns (id, workspace_id, name, status, definition, owner_id, created_at, updated_at)
             VALUES ($1, 'default', $1, 'running', $2, $3, $4, $4)`,
            [
              id,
              JSON.stringify({ goal: { event: 'purchase', withinDays: days } }),
              owner.value.id,
              new Date(T0),
            ],
          );
        await w.sql.write('DELETE FROM conversions WHERE event_message_id = $1', [events[0]!.messageId]);
        const r = await runAttribution(
          { control, warehouse: w.sql, clock: () => range.until },
          { since: range.since },
        );
        expect({ goals: r.goals, removed: r.removed, added: r.added, inRange: r.inRange }).toEqual({
          goals: 2,
          removed: 0,
          added: 1,
          inRange: 2,
        });
        expect((await conversions()).map((c) => [c[0], c[1]])).toEqual(
          [
            [events[0]!.messageId, 'kc-u1'],
            [events[2]!.messageId, 'k2-u3'],
          ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        );
      });

      it('lift: the treated members of a campaign and their goal events within the window', async () => {
        const rows = await goalConversions(
          w.sql,
          'treated',
          { campaignIds: ['ca'], runIds: ['run-ca'], channel: 'push' },
          { event: 'purchase', windowMs: 3 * DAY_MS },
        );
        const got = rows
          .map((r) => [r.user_id, Boolean(r.converted), num(r.revenue)] as const)
          .sort((x, y) => x[0].localeCompare(y[0]));
        expect(got).toEqual([
          ['x1', true, 30],
          ['x2', false, 0],
          ['x3', true, 12.5],
        ]);
        const sms = await goalConversions(
          w.sql,
          'treated',
          { campaignIds: ['ca'], runIds: ['run-ca'], channel: 'sms' },
          { event: 'purchase', windowMs: 3 * DAY_MS },
        );
        expect(sms).toEqual([]);
      });
    });

    describe('bonus events', () => {
      const b = recordBuilders(T0);
      const evs = [
        b.track('y1', 'purchase', T0 + HOUR, { amount: 80 }),
        b.track('y1', 'purchase', T0 + 3 * HOUR, { amount: 120 }),
        b.track('y2', 'purchase', T0 + HOUR, { amount: 50 }),
        b.track('y1', 'signup', T0 + HOUR),
      ];
      const grant = (code: string, userId: string, messageId: string): BookedGrant => ({
        code,
        campaignId: 'cbonus',
        userId,
        kind: 'points',
        amount: 1000,
        costCents: 500,
        messageId,
        eventAt: T0 + HOUR,
        grantedAt: T0 + 5 * HOUR,
      });
      beforeAll(async () => w.commit({ events: evs, identifies: [] }));

      it('finds the events in each search window, never a system event', async () => {
        const found = await candidateBonusEvents(w.sql, [
          { userId: 'y1', event: 'purchase', from: T0, until: T0 + 2 * HOUR },
          { userId: 'y2', event: 'purchase', from: T0 + 2 * HOUR, until: T0 + 4 * HOUR },
        ]);
        expect(found).toEqual([
          { messageId: evs[0]!.messageId, userId: 'y1', event: 'purchase', ts: T0 + HOUR, amount: 80 },
        ]);
        expect(await candidateBonusEvents(w.sql, [])).toEqual([]);
      });

      it('writes each grant fact once, however often the loop passes it', async () => {
        const grants = [grant('B1', 'y1', evs[0]!.messageId), grant('B2', 'y2', evs[2]!.messageId)];
        expect(await appendBonusFacts(w.sql, grants)).toBe(2);
        expect(await appendBonusFacts(w.sql, grants)).toBe(0);
        expect(await appendBonusFacts(w.sql, [...grants, grant('B3', 'y2', evs[2]!.messageId)])).toBe(1);
        const rows = await w.sql.query<{
          message_id: string;
          user_id: string;
          ts: Date;
          source: string;
          properties: string;
        }>(
          `SELECT message_id, user_id, ts, source, properties FROM events WHERE event = $1 ORDER BY message_id`,
          [BONUS_GRANTED_EVENT],
        );
        expect(rows.map((r) => [r.message_id, r.user_id, r.ts.getTime(), r.source])).toEqual([
          ['bonus:B1', 'y1', T0 + 5 * HOUR, 'offers'],
          ['bonus:B2', 'y2', T0 + 5 * HOUR, 'offers'],
          ['bonus:B3', 'y2', T0 + 5 * HOUR, 'offers'],
        ]);
        expect(JSON.parse(rows[0]!.properties)).toMatchObject({
          code: 'B1',
          amount: 1000,
          qualifyingMessageId: evs[0]!.messageId,
        });
        // The facts are system events: never a bonus candidate themselves.
        const again = await candidateBonusEvents(w.sql, [
          { userId: 'y1', event: BONUS_GRANTED_EVENT, from: T0, until: T0 + DAY_MS },
        ]);
        expect(again).toEqual([]);
      });
    });

    describe('trigger reads', () => {
      const early = recordBuilders(T0 + 20 * DAY_MS);
      const late = recordBuilders(T0 + 20 * DAY_MS + HOUR);
      const evs = [
        early.track('z1', 'cart_abandoned', T0 + 20 * DAY_MS - 60_000, { orderId: 'o1' }),
        late.track('z2', 'cart_abandoned', T0 + 20 * DAY_MS + HOUR - 60_000),
        late.track('z1', 'checkout', T0 + 20 * DAY_MS + 30 * 60_000),
        late.track('z3', 'checkout', T0 + 20 * DAY_MS),
      ];
      beforeAll(async () => w.commit({ events: evs, identifies: [] }));

      it('reads events by arrival time and name, both ends included', async () => {
        const got = await eventsArrivedBetween(w.sql, T0 + 20 * DAY_MS, T0 + 20 * DAY_MS + HOUR, [
          'cart_abandoned',
          'nothing',
        ]);
        expect(
          got
            .map((e) => [e.message_id, e.user_id, e.ts.getTime(), e.received_at.getTime()])
            .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        ).toEqual(
          [evs[0]!, evs[1]!]
            .map((e) => [e.messageId, e.userId, e.ts, e.receivedAt])
            .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        );
        expect(
          await eventsArrivedBetween(w.sql, T0 + 20 * DAY_MS + 1, T0 + 20 * DAY_MS + HOUR - 1, [
            'cart_abandoned',
          ]),
        ).toEqual([]);
      });

      it("reads the users' events up to a time (an unless condition)", async () => {
        const got = await userEventsUntil(w.sql, 'checkout', T0 + 20 * DAY_MS + 30 * 60_000, ['z1', 'z2']);
        expect(got.map((r) => [r.user_id, r.ts.getTime()])).toEqual([['z1', T0 + 20 * DAY_MS + 30 * 60_000]]);
        expect(await userEventsUntil(w.sql, 'checkout', T0 + 20 * DAY_MS + 30 * 60_000 - 1, ['z1'])).toEqual(
          [],
        );
      });
    });

    describe('retention deletes', () => {
      it('deletes the members of the given snapshots only', async () => {
        await w.sql.write(
          `INSERT INTO audience_snapshot_members (snapshot_id, user_id) VALUES ('s1', 'a'), ('s1', 'b'), ('s2', 'c'), ('s3', 'd')`,
        );
        expect(await deleteMembersOfSnapshots(w.sql, ['s1', 's2', 'none'])).toBe(3);
        expect(await deleteMembersOfSnapshots(w.sql, ['s1'])).toBe(0);
        const left = await w.sql.query<{ snapshot_id: string }>(
          'SELECT snapshot_id FROM audience_snapshot_members',
        );
        expect(left.map((r) => r.snapshot_id)).toEqual(['s3']);
      });

      it("deletes old skips, keeping holdouts, new skips and a live campaign's ladder skips", async () => {
        const d = w.sql.dialect;
        if (engine === 'clickhouse') {
          // The planner's tables (ddl-planner.ts) may not be there yet: the DuckDB columns.
          await w.sql.write(`CREATE TABLE IF NOT EXISTS plan_decisions (
            run_id String, campaign_id String, slot_at DateTime64(3, 'UTC'), user_id String,
            decision String, reason Nullable(String), detail Nullable(String)) ENGINE = MergeTree ORDER BY (campaign_id, slot_at)`);
          await w.sql.write(`CREATE TABLE IF NOT EXISTS plan_decision_groups (
            run_id String, campaign_id String, slot_at DateTime64(3, 'UTC'), decision String,
            reason Nullable(String), detail Nullable(String), user_ids Array(String)) ENGINE = MergeTree ORDER BY (campaign_id, slot_at)`);
        }
        const old = T0 - 100 * DAY_MS;
        const rows: [string, number, string, string, string | null][] = [
          ['dead', old, 'p1', 'skipped', 'cap'],
          ['dead', old, 'p2', 'holdout', null],
          ['dead', T0, 'p3', 'skipped', 'cap'],
          ['live', old, 'p4', 'skipped', 'ladder step 2 refused'],
          ['live', old, 'p5', 'skipped', null],
          ['dead', old, 'p6', 'skipped', 'ladder step 1 refused'],
        ];
        for (const [c, at, u, decision, detail] of rows) {
          await w.sql.write(
            `INSERT INTO plan_decisions (run_id, campaign_id, slot_at, user_id, decision, reason, detail)
             SELECT 'r', $1, ${d.timeFromMs('$2')}, $3, $4, NULL, ${detail === null ? 'NULL' : '$5'}`,
            detail === null ? [c, at, u, decision] : [c, at, u, decision, detail],
          );
        }
        await w.sql.write(
          `INSERT INTO plan_decision_groups (run_id, campaign_id, slot_at, decision, reason, detail, user_ids)
           SELECT 'r', 'dead', ${d.timeFromMs('$1')}, 'skipped', NULL, 'cap', ['g1', 'g2']`,
          [old],
        );
        expect(await deleteSkippedDecisionsBefore(w.sql, T0 - DAY_MS, ['live'])).toBe(4);
        const left = await w.sql.query<{ user_id: string }>(
          'SELECT user_id FROM plan_decisions ORDER BY user_id',
        );
        expect(left.map((r) => r.user_id)).toEqual(['p2', 'p3', 'p4']);
        expect(num(await w.sql.scalar('SELECT count(*) FROM plan_decision_groups'))).toBe(0);
      });
    });

    describe('refused push tokens', () => {
      /** A wave's outcome: the provider refused the token the message went to, for good. */
      const refused = (userId: string, token: string): Recorded => ({
        row: {
          idempotencyKey: `k-${userId}`,
          workspaceId: 'default',
          campaignId: 'cp',
          runId: 'rp',
          step: '0',
          userId,
          channel: 'push',
          class: 'marketing',
          variant: null,
          sendAt: T0,
          costCents: 0,
          attempts: 1,
          providerId: 'fcm',
          pinned: false,
          payload: null,
          claimToken: 't',
          startedAt: null,
        },
        decision: { kind: 'dead', reason: 'unregistered', error: 'UNREGISTERED', attempts: 1 },
        forgetAddress: 'push_token',
        refusedAddress: token,
      });

      it('clears the refused token where the profile still holds it, and keeps it forgotten', async () => {
        const b = recordBuilders(T0 + 30 * DAY_MS);
        await w.commit({
          events: [],
          identifies: [
            b.identify('pt1', T0 + 30 * DAY_MS - HOUR, { push_token: 'tokA' }),
            b.identify('pt2', T0 + 30 * DAY_MS - HOUR, { push_token: 'tokB' }),
          ],
        });
        const failures: unknown[] = [];
        const n = await forgetRefusedAddresses(
          w.sql,
          [refused('pt1', 'tokA'), refused('pt2', 'tokOld'), refused('pt1', 'tokA')],
          T0 + 30 * DAY_MS,
          (_m, e) => failures.push(e),
        );
        expect(failures).toEqual([]);
        expect(n).toBe(1);
        const tokens = await w.sql.query<{ user_id: string; push_token: string | null }>(
          `SELECT user_id, push_token FROM profiles WHERE user_id IN ('pt1', 'pt2') ORDER BY user_id`,
        );
        expect(tokens).toEqual([
          { user_id: 'pt1', push_token: null },
          { user_id: 'pt2', push_token: 'tokB' },
        ]);
        const kept = await w.sql.query<{ user_id: string; push_token: string }>(
          'SELECT user_id, push_token FROM forgotten_push_tokens ORDER BY user_id',
        );
        expect(kept).toEqual([
          { user_id: 'pt1', push_token: 'tokA' },
          { user_id: 'pt2', push_token: 'tokOld' },
        ]);
      });
    });
  });
};
