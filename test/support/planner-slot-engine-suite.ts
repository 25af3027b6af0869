import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../../src/audience/saved-audiences.ts';
import { planLadderFollowUps } from '../../src/campaigns/ladder-follow-ups.ts';
import { writeDecisions } from '../../src/planner/plan-decisions.ts';
import { runSlot, type PlannerContext } from '../../src/planner/run-slot.ts';
import { recordUnsubscribeAs, setChannelQuotaAs } from '../../src/planner/settings-service.ts';
import { migrate } from '../../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../../src/storage/control/sql-client.ts';
import { bindMasterKeys } from '../../src/storage/control/workspace-secrets.ts';
import { userDecisionRows } from '../../src/storage/warehouse/user-decisions.ts';
import { approvedCampaign, distributionUsers, plannerActors } from './planner-scenario.ts';
import { event, profile } from './score-scenario.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';

/**
 * A whole planner slot (runSlot: snapshot, roster, plan, decisions, outbox) on one warehouse
 * engine with the embedded control plane: the same outbox and the same recorded decisions on
 * both engines. Users: planner-scenario.ts distributionUsers (u1 SMS and push, u2–u4 push, u3 in
 * New York, u5 reachable by nothing); u4 unsubscribed from everything.
 */
const NOW = Date.UTC(2026, 10, 20, 12); // 20:00 in Shanghai, 07:00 in New York

export const plannerSlotSuite = (engine: WarehouseEngine): void => {
  describe(`a planner slot on ${engine}`, () => {
    let e: EngineWarehouse;
    let control: SqlClient;
    let ctx: PlannerContext;
    beforeAll(async () => {
      e = await openEngineWarehouse(engine, 'planner_slot');
      control = await openSqlClient({ pgliteDir: 'memory://' });
      await migrate(control);
      bindMasterKeys(control, { current: randomBytes(32), previous: [] });
      ctx = { control, warehouse: e.sql, clock: () => NOW };
      await e.commit({ events: [], identifies: distributionUsers(NOW) });
    });
    afterAll(async () => {
      await e.close();
      await control.close();
    });

    it('plans, holds and skips the same users, and records each decision once', async () => {
      const a = await plannerActors(control);
      const aud = await createSavedAudience(ctx, a.op, {
        name: 'Distribution users',
        definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
      });
      if (!aud.ok) throw new Error(JSON.stringify(aud.error));
      await recordUnsubscribeAs(ctx, a.op, { userId: 'u4', channel: 'all', source: 'reply TD' });
      // The campaign services take no ClickHouse warehouse yet (their sample recipient is read from
      // DuckDB's): the content gate renders without a profile, on both engines alike.
      const c = await approvedCampaign({ control, clock: ctx.clock }, a, 'Push', {
        audienceId: aud.value.id,
        timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
        channels: ['push'],
        content: [
          { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
        ],
        priority: 50,
        holdoutShare: 0,
      });
      // A dead attempt of this slot (killed between its warehouse write and its control-plane
      // commit) left decisions under the slot's deterministic run id: the run replaces them.
      const runId = `${c.id}@${NOW}`;
      await writeDecisions(
        e.sql,
        [
          {
            campaignId: c.id,
            decision: 'skipped',
            reason: 'cap_total',
            detail: null,
            userIds: ['u1', 'u2', 'u5'],
          },
        ],
        new Map([[c.id, runId]]),
        NOW,
      );
      const report = await runSlot(ctx, 'default', NOW);
      expect(report.campaigns[0]?.runId).toBe(runId);
      expect(
        report.campaigns.map((r) => [r.campaignId, r.members, r.messages, r.holdout, r.skipped]),
      ).toEqual([[c.id, 5, 3, 0, 2]]);
      expect(report.campaigns[0]?.skipReasons).toEqual({ unsubscribed: 1, unreachable: 1 });
      const sent = await control.query<{ user_id: string; channel: string }>(
        'SELECT user_id, channel FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
        [c.id],
      );
      expect(sent.map((m) => `${m.user_id} ${m.channel}`)).toEqual(['u1 push', 'u2 push', 'u3 push']);
      const decided = await e.sql.query<{ user_id: string; decision: string; reason: string }>(
        'SELECT user_id, decision, reason FROM decided_members WHERE campaign_id = $1 ORDER BY user_id',
        [c.id],
      );
      expect(decided.map((d) => `${d.user_id} ${d.decision} ${d.reason}`)).toEqual([
        'u4 skipped unsubscribed',
        'u5 skipped unreachable',
      ]);
      const story = await userDecisionRows(e.sql, c.id, 'u5');
      expect(story.map((s) => [s.runId, s.slotAt?.getTime(), s.decision, s.reason])).toEqual([
        [report.campaigns[0]?.runId, NOW, 'skipped', 'unreachable'],
      ]);
      // The slot is planned: running it again plans nothing and writes no decision twice.
      const again = await runSlot(ctx, 'default', NOW);
      expect(again.campaigns).toEqual([]);
      expect(
        Number(await e.sql.scalar('SELECT count(*) FROM decided_members WHERE campaign_id = $1', [c.id])),
      ).toBe(2);
    });
  });

  describe(`a recall ladder on ${engine}`, () => {
    const NOW2 = Date.UTC(2026, 10, 20, 2); // 10:00 in Shanghai
    const HOUR = 3_600_000;
    let e: EngineWarehouse;
    let control: SqlClient;
    let now = NOW2;
    let ctx: PlannerContext;
    beforeAll(async () => {
      e = await openEngineWarehouse(engine, 'planner_ladder');
      control = await openSqlClient({ pgliteDir: 'memory://' });
      await migrate(control);
      bindMasterKeys(control, { current: randomBytes(32), previous: [] });
      ctx = { control, warehouse: e.sql, clock: () => now };
      const users = distributionUsers(NOW2);
      // u2 has an SMS consent and number too, so both u1 and u2 could take the SMS step.
      users[1] = profile('u2', NOW2 - 100 * 24 * HOUR, {
        acquisition_channel: 'distribution',
        timezone: 'Asia/Shanghai',
        push_token: 't2',
        phone: '13800000002',
        consent_sms: true,
      });
      await e.commit({
        identifies: users,
        // Worth ¥500 and ¥2.50 over the last year (no value-model scores).
        events: [event('u1', 'order', NOW2 - 240 * HOUR, 500), event('u2', 'order', NOW2 - 240 * HOUR, 2.5)],
      });
    });
    afterAll(async () => {
      await e.close();
      await control.close();
    });

    it('gates the first step by value, escalates whom the SMS pays for, records the priced-out once', async () => {
      const a = await plannerActors(control);
      await setChannelQuotaAs(ctx, a.admin, { channel: 'sms', quota: 1000, costCents: 5 });
      const aud = await createSavedAudience(ctx, a.op, {
        name: 'Buyers',
        definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
      });
      if (!aud.ok) throw new Error(JSON.stringify(aud.error));
      const c = await approvedCampaign({ control, clock: ctx.clock }, a, 'Priced ladder', {
        audienceId: aud.value.id,
        timing: { kind: 'one_off', at: new Date(NOW2).toISOString() },
        channels: ['push', 'sms'],
        content: [
          { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
          {
            channel: 'sms',
            text: '您的专属券已到账 https://example.com/a 回T退订',
            signature: '【Rekindle】',
          },
        ],
        holdoutShare: 0,
        ladder: {
          steps: [
            { channel: 'push', waitHours: 24 },
            { channel: 'sms', waitHours: 48 },
          ],
          responseEvents: ['order'],
          doNotDisturbBelowCents: 1_00,
        },
      });
      const first = await runSlot(ctx, 'default', NOW2);
      expect(first.campaigns[0]?.messages).toBe(2); // u1, u2 by push; the others below ¥1
      now = NOW2 + 25 * HOUR;
      expect(await planLadderFollowUps(ctx)).toEqual([
        { campaignId: c.id, sent: 1, skipped: 0, waiting: 0, done: { priced_out: 1 } },
      ]);
      const steps = await control.query<{ user_id: string; step: string; channel: string }>(
        'SELECT user_id, step, channel FROM outbox ORDER BY user_id, step',
      );
      expect(steps.map((r) => `${r.user_id}:${r.step}:${r.channel}`)).toEqual([
        'u1:0:push',
        'u1:1:sms',
        'u2:0:push',
      ]);
      const priced = `SELECT user_id, reason FROM decided_members WHERE campaign_id = $1 AND reason = 'ladder_price'`;
      expect(await e.sql.query(priced, [c.id])).toEqual([{ user_id: 'u2', reason: 'ladder_price' }]);
      // Again an hour later: u2 left the ladder (recorded once), nothing is sent twice.
      now = NOW2 + 26 * HOUR;
      expect((await planLadderFollowUps(ctx))[0]).toMatchObject({ sent: 0, done: { skipped_by_planner: 1 } });
      expect(await e.sql.query(priced, [c.id])).toHaveLength(1);
    });
  });
};
