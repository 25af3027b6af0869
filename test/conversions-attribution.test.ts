import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { runAttribution } from '../src/conversions/attribute.ts';
import {
  attributeInMemory,
  goalsOf,
  type AttributionGoal,
  type GoalEvent,
  type SentTouch,
} from '../src/core/conversions/attribution.ts';
import { createUser } from '../src/storage/control/users.ts';
import { event, openScenario, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * Attribution on real stores (DuckDB in memory, PGlite) with an injected clock: last touch across
 * campaigns, the window, events before any message, idempotent re-runs, re-attribution when a
 * later fact arrives; and DuckDB's statement against the plain-code rule on random histories.
 */

const T0 = Date.UTC(2026, 10, 1, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const open = async (goals: Record<string, { event: string; withinDays?: number } | null>) => {
  const s = await openScenario();
  store = s;
  const owner = await createUser(s.control, { name: 'olga', role: 'operator' });
  if (!owner.ok) throw new Error('user');
  for (const [id, goal] of Object.entries(goals))
    await s.control.query(
      `INSERT INTO campaigns (id, workspace_id, name, status, definition, owner_id, created_at, updated_at)
       VALUES ($1, 'default', $1, 'running', $2, $3, $4, $4)`,
      [id, JSON.stringify(goal === null ? { channels: ['push'] } : { goal }), owner.value.id, new Date(T0)],
    );
  return s;
};

const sent = (s: ScenarioStore, rows: { key: string; campaign: string; user: string; at: number }[]) =>
  s.warehouse.transaction(async (tx) => {
    for (const r of rows)
      await tx.run(
        `INSERT INTO message_facts (message_id, campaign_id, run_id, step, variant, user_id, channel, status, ts, cost, revenue, properties, seq)
         VALUES (?, ?, 'run-' || ?, '0', NULL, ?, 'sms', 'sent', epoch_ms(?::BIGINT), 0.05, 0, '{}', NULL)`,
        [r.key, r.campaign, r.campaign, r.user, r.at],
      );
  });

const conversions = (s: ScenarioStore) =>
  s.warehouse.query<{
    event_message_id: string;
    idempotency_key: string;
    campaign_id: string;
    revenue: number;
  }>(
    'SELECT event_message_id, idempotency_key, campaign_id, revenue FROM conversions ORDER BY event_message_id',
  );

const eventId = (user: string, name: string, at: number) => {
  const e = event(user, name, at, 88);
  return { e, id: e.messageId };
};

describe('conversion attribution', () => {
  it('gives the conversion to the later of two campaigns touching the user, with the order amount', async () => {
    const s = await open({
      spring: { event: 'order' },
      coupon: { event: 'order', withinDays: 7 },
      nogoal: null,
    });
    await sent(s, [
      { key: 'spring:r:0:u1', campaign: 'spring', user: 'u1', at: T0 },
      { key: 'coupon:r:0:u1', campaign: 'coupon', user: 'u1', at: T0 + 2 * HOUR },
      // No goal: never a touch, even though it is the latest message.
      { key: 'nogoal:r:0:u1', campaign: 'nogoal', user: 'u1', at: T0 + 3 * HOUR },
    ]);
    const order = eventId('u1', 'order', T0 + 5 * HOUR);
    const login = eventId('u1', 'login', T0 + 5 * HOUR);
    await seed(s.warehouse, [], [order.e, login.e]);
    s.setNow(T0 + DAY);
    const r = await runAttribution(s);
    expect(r).toMatchObject({ goals: 2, added: 1, removed: 0, inRange: 1 });
    expect(await conversions(s)).toEqual([
      { event_message_id: order.id, idempotency_key: 'coupon:r:0:u1', campaign_id: 'coupon', revenue: 88 },
    ]);
  });

  it('attributes nothing to an event after the window or before any message', async () => {
    const s = await open({ spring: { event: 'order' } });
    await sent(s, [
      { key: 'spring:r:0:u1', campaign: 'spring', user: 'u1', at: T0 },
      { key: 'spring:r:0:u2', campaign: 'spring', user: 'u2', at: T0 },
    ]);
    const late = eventId('u1', 'order', T0 + 3 * DAY + 1);
    const early = eventId('u2', 'order', T0 - 1);
    const edge = eventId('u2', 'order', T0 + 3 * DAY);
    await seed(s.warehouse, [], [late.e, early.e, edge.e]);
    s.setNow(T0 + 10 * DAY);
    await runAttribution(s);
    // The default 3-day window includes its last instant.
    expect((await conversions(s)).map((c) => c.event_message_id)).toEqual([edge.id]);
  });

  it('adds nothing when re-run, and moves a conversion when a later touch arrives late', async () => {
    const s = await open({ a: { event: 'order' }, b: { event: 'order' } });
    await sent(s, [{ key: 'a:r:0:u1', campaign: 'a', user: 'u1', at: T0 }]);
    const order = eventId('u1', 'order', T0 + 10 * HOUR);
    await seed(s.warehouse, [], [order.e]);
    s.setNow(T0 + DAY);
    expect(await runAttribution(s)).toMatchObject({ added: 1, removed: 0 });
    const before = await s.warehouse.query('SELECT * FROM conversions');
    s.setNow(T0 + DAY + HOUR);
    expect(await runAttribution(s)).toMatchObject({ added: 0, removed: 0, inRange: 1 });
    // Unchanged rows are kept as they were (same attributed_at).
    expect(await s.warehouse.query('SELECT * FROM conversions')).toEqual(before);

    await sent(s, [{ key: 'b:r:0:u1', campaign: 'b', user: 'u1', at: T0 + 5 * HOUR }]);
    expect(await runAttribution(s)).toMatchObject({ added: 1, removed: 1, inRange: 1 });
    expect((await conversions(s)).map((c) => c.idempotency_key)).toEqual(['b:r:0:u1']);
  });

  it('breaks a tie on the send time by the larger idempotency key', async () => {
    const s = await open({ a: { event: 'order' }, b: { event: 'order' } });
    await sent(s, [
      { key: 'b:r:0:u1', campaign: 'b', user: 'u1', at: T0 },
      { key: 'a:r:0:u1', campaign: 'a', user: 'u1', at: T0 },
    ]);
    await seed(s.warehouse, [], [event('u1', 'order', T0 + HOUR, 10)]);
    s.setNow(T0 + DAY);
    await runAttribution(s);
    expect((await conversions(s)).map((c) => c.idempotency_key)).toEqual(['b:r:0:u1']);
  });

  it('matches the plain-code rule on random histories', async () => {
    const s = await open({
      a: { event: 'order', withinDays: 1 },
      b: { event: 'order', withinDays: 3 },
      c: { event: 'pay' },
    });
    const goals: AttributionGoal[] = goalsOf([
      { id: 'a', definition: { goal: { event: 'order', withinDays: 1 } } },
      { id: 'b', definition: { goal: { event: 'order', withinDays: 3 } } },
      { id: 'c', definition: { goal: { event: 'pay' } } },
    ]);
    const users = ['u1', 'u2', 'u3'];
    const arb = fc.record({
      sent: fc.array(
        fc.record({
          campaign: fc.constantFrom('a', 'b', 'c'),
          user: fc.constantFrom(...users),
          hour: fc.integer({ min: 0, max: 24 * 8 }),
        }),
        { maxLength: 12 },
      ),
      events: fc.array(
        fc.record({
          name: fc.constantFrom('order', 'pay', 'login'),
          user: fc.constantFrom(...users),
          hour: fc.integer({ min: 0, max: 24 * 9 }),
        }),
        { maxLength: 12 },
      ),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (h) => {
        round += 1;
        await s.warehouse.write('DELETE FROM message_facts');
        await s.warehouse.write('DELETE FROM events');
        await s.warehouse.write('DELETE FROM conversions');
        const touches: SentTouch[] = h.sent.map((x, i) => ({
          idempotencyKey: `${x.campaign}:r${round}:${i}:${x.user}`,
          campaignId: x.campaign,
          userId: x.user,
          ts: T0 + x.hour * HOUR,
        }));
        await sent(
          s,
          touches.map((t) => ({ key: t.idempotencyKey, campaign: t.campaignId, user: t.userId, at: t.ts })),
        );
        const rows = h.events.map((x) => event(x.user, x.name, T0 + x.hour * HOUR, 1));
        await seed(s.warehouse, [], rows);
        const events: GoalEvent[] = rows.map((e) => ({
          messageId: e.messageId,
          userId: e.userId,
          event: e.event,
          ts: e.ts,
        }));
        s.setNow(T0 + 10 * DAY);
        await runAttribution(s, { since: 0 });
        const got = new Map((await conversions(s)).map((c) => [c.event_message_id, c.idempotency_key]));
        expect(got).toEqual(attributeInMemory(goals, events, touches, { since: 0, until: T0 + 10 * DAY }));
      }),
      { numRuns: 40 },
    );
  });
});
