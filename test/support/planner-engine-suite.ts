import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/core/channels/channels.ts';
import type { Roster } from '../../src/core/planner/types.ts';
import { planSlot } from '../../src/core/planner/plan-slot.ts';
import type { SentBefore } from '../../src/core/planner/types.ts';
import { groupDecisions, writeDecisions, type DecisionGroup } from '../../src/planner/plan-decisions.ts';
import { planUsersByIds, readRoster } from '../../src/planner/plan-profiles.ts';
import type { WarehouseSql } from '../../src/storage/warehouse-sql.ts';
import { channelResponseHistory, usersInRegions } from '../../src/storage/warehouse/channel-reach-inputs.ts';
import {
  firstResponses,
  idsWho,
  ladderLeavers,
  orderHistories,
  snapshotWho,
  userValuesCents,
} from '../../src/storage/warehouse/planner-inputs.ts';
import {
  NO_PROFILE,
  TZ_OTHER,
  packedProfilesByIds,
  profileTimezones,
  rosterRows,
} from '../../src/storage/warehouse/planner-profiles.ts';
import { snapshotsHolding, userDecisionRows, userKnown } from '../../src/storage/warehouse/user-decisions.ts';
import { segmentGroups } from '../../src/storage/warehouse/user-segments.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { campaign, outcomeOf, policy } from './planner-input.ts';
import { recordBuilders } from './record-builders.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';

/**
 * The planner's warehouse reads and writes (src/storage/warehouse/planner-*.ts, plan-decisions.ts,
 * user-decisions.ts, channel-reach-inputs.ts, user-segments.ts) on one engine, against values
 * worked out by hand from the data below: both engines must give exactly these.
 *
 * Users: u1 (SMS consent, push token, Shanghai, prefers sms and shoes, Hangzhou/Zhejiang, LTV
 * 2.625), u2 (push token, New York, region North, churn reason price, expected spend 1.5), u3
 * (e-mail consent, push token refused, WeCom, prefers bags), u4 (orders only: a profile without
 * traits on both engines), u5 (a profile in Paris with nothing to reach), u6 (a snapshot member
 * the warehouse has nothing else about: no profile).
 */
const NOW = Date.UTC(2026, 5, 1, 12);
const SLOT = NOW + 3_600_000;

const insertFact = (w: WarehouseSql, id: string, user: string, channel: string, status: string, ts: number) =>
  w.write(
    `INSERT INTO message_facts (message_id, user_id, channel, status, ts, properties)
     SELECT $1, $2, $3, $4, ${w.dialect.timeFromMs('$5')}, '{}'`,
    [id, user, channel, status, ts],
  );

/** The roster keyed by user id (row order differs between engines). */
const rosterByUser = (r: Roster) =>
  Object.fromEntries(
    r.ids.map((id, i) => {
      const p = r.profiles;
      return [
        id,
        {
          words: r.words.map((w) => w[i]),
          has: r.hasProfile[i],
          reach: r.hasProfile[i] ? p.reach[i] : null,
          preferred: r.hasProfile[i] ? p.preferred[i] : null,
          zone: r.hasProfile[i] ? (p.timezones[p.timezone[i] as number] ?? null) : null,
          category: r.hasProfile[i] ? (p.categories[p.category[i] as number] ?? null) : null,
        },
      ];
    }),
  );

const bits = (...channels: (typeof CHANNELS)[number][]) =>
  channels.reduce((m, c) => m | (1 << CHANNELS.indexOf(c)), 0);

export const plannerSuite = (engine: WarehouseEngine): void => {
  describe(`planner warehouse statements on ${engine}`, () => {
    let e: EngineWarehouse;
    let w: WarehouseSql;
    beforeAll(async () => {
      e = await openEngineWarehouse(engine, 'planner');
      w = e.sql;
      const { track, identify } = recordBuilders(NOW);
      const reg = NOW - 100 * DAY_MS;
      await e.commit({
        identifies: [
          identify('u1', reg, {
            phone: '13800000001',
            consent_sms: true,
            push_token: 't1',
            timezone: 'Asia/Shanghai',
            city: 'Hangzhou',
            province: 'Zhejiang',
            preferred_channel: 'sms',
            preferred_category: 'shoes',
          }),
          identify('u2', reg, {
            push_token: 't2',
            timezone: 'America/New_York',
            region: 'North',
            churn_reason: 'price',
          }),
          identify('u3', reg, {
            email: 'u3@example.com',
            consent_email: true,
            push_token: 't3',
            consent_push: false,
            consent_wecom: true,
            wecom_openid: 'ox3',
            preferred_category: 'bags',
          }),
          identify('u5', reg, { city: 'Paris' }),
        ],
        events: [
          track('u1', 'order', NOW - 10 * DAY_MS, { amount: 10 }),
          track('u1', 'order', NOW - 5 * DAY_MS, { amount: 20.25 }),
          track('u4', 'order', NOW - 2 * DAY_MS, { amount: 0.125 }),
          track('u2', 'order', NOW + DAY_MS, { amount: 99 }),
          track('u5', 'order', NOW - 400 * DAY_MS, { amount: 7 }),
          track('u2', 'click', NOW - 20 * DAY_MS),
        ],
      });
      await w.write(
        `INSERT INTO user_scores (user_id, rfm_tier, churn_risk_level, lifecycle_stage, ltv, expected_spend)
         VALUES ('u1', 'champion', 'low', 'active', 2.625, NULL), ('u2', 'loyal', 'high', 'at_risk', NULL, 1.5)`,
      );
      for (const [s, u] of [
        ['s1', 'u1'],
        ['s1', 'u2'],
        ['s1', 'u4'],
        ['s1', 'u6'],
        ['s2', 'u2'],
        ['s2', 'u3'],
        ['s3', 'u1'],
        ['s3', 'odd\nid'],
      ] as const)
        await w.write('INSERT INTO audience_snapshot_members (snapshot_id, user_id) SELECT $1, $2', [s, u]);
      await insertFact(w, 'm1', 'u1', 'push', 'sent', NOW - 3 * DAY_MS);
      await insertFact(w, 'm1', 'u1', 'push', 'clicked', NOW - 3 * DAY_MS + 60_000);
      await insertFact(w, 'm2', 'u2', 'push', 'sent', NOW - 3 * DAY_MS);
      await insertFact(w, 'm2', 'u2', 'push', 'failed', NOW - 3 * DAY_MS + 1);
      await insertFact(w, 'm3', 'u1', 'sms', 'delivered', NOW - 4 * DAY_MS);
      await insertFact(w, 'm4', 'u2', 'sms', 'sent', NOW - 4 * DAY_MS);
      await insertFact(w, 'm5', 'u3', 'email', 'sent', NOW - 40 * DAY_MS);
      const d = w.dialect;
      await w.write(
        `INSERT INTO conversions (event_message_id, user_id, event, ts, revenue, idempotency_key, campaign_id,
                                  run_id, variant, channel, message_ts, attributed_at)
         SELECT 'e1', 'u1', 'order', ${d.timeFromMs('$1')}, 5, 'm3', 'c0', 'r0', NULL, 'sms',
                ${d.timeFromMs('$2')}, ${d.timeFromMs('$1')}`,
        [NOW - DAY_MS, NOW - 4 * DAY_MS],
      );
    });
    afterAll(async () => e.close());

    it('packs profiles: reach, preferred channel, zone and category per user', async () => {
      const timezones = await profileTimezones(w);
      expect(timezones).toEqual(['America/New_York', 'Asia/Shanghai']);
      const { ids, packed } = await packedProfilesByIds(w, ['u1', 'u2', 'u3', 'u4', 'u5', 'u9'], {
        timezones,
        categories: ['shoes', 'bags'],
      });
      const byId = Object.fromEntries(ids.map((id, i) => [id, packed[i]]));
      // u1: push 1 + in_app 2 + sms 8 + webhook 64; sms is CHANNELS' 4th (4 << 7); Shanghai 2nd
      // (2 << 10); shoes 1st (1 << 21).
      expect(byId).toEqual({
        u1: 75 + (4 << 7) + (2 << 10) + (1 << 21),
        u2: 67 + (1 << 10),
        u3: 2 + 4 + 16 + 64 + (2 << 21),
        u4: 66,
        u5: 66,
      });
      // A zone the dictionary lacks is TZ_OTHER (read again by id).
      const short = await packedProfilesByIds(w, ['u2'], { timezones: ['Asia/Shanghai'], categories: [] });
      expect(short.packed).toEqual([67 + (TZ_OTHER << 10)]);
    });

    it('decodes users by id, the zones a dictionary lacked read by id', async () => {
      const p = await planUsersByIds(w, ['u1', 'u2', 'u3'], new Map([['u2', 'all']]), ['bags']);
      const at = (id: string) => p.ids.indexOf(id);
      expect([...p.ids].sort()).toEqual(['u1', 'u2', 'u3']);
      expect(p.reach[at('u1')]).toBe(bits('push', 'in_app', 'sms', 'webhook'));
      expect(p.reach[at('u3')]).toBe(bits('in_app', 'email', 'wecom', 'webhook'));
      expect(p.optOut[at('u2')]).toBe(127);
      expect(p.preferred[at('u1')]).toBe(CHANNELS.indexOf('sms'));
      expect(p.categories[p.category[at('u3')] as number]).toBe('bags');
      expect(p.category[at('u1')]).toBe(-1);
      expect(p.timezones[p.timezone[at('u2')] as number]).toBe('America/New_York');
      expect(p.timezone[at('u3')]).toBe(-1);
    });

    it('reads the roster: each member once with its campaigns as bits and its profile', async () => {
      const roster = await readRoster(
        w,
        [
          { campaignId: 'c1', snapshotId: 's1' },
          { campaignId: 'c2', snapshotId: 's2' },
        ],
        new Map(),
        ['shoes'],
      );
      expect(roster.campaignIds).toEqual(['c1', 'c2']);
      expect(rosterByUser(roster)).toEqual({
        u1: { words: [1], has: 1, reach: 75, preferred: 3, zone: 'Asia/Shanghai', category: 'shoes' },
        u2: { words: [3], has: 1, reach: 67, preferred: -1, zone: 'America/New_York', category: null },
        u3: { words: [2], has: 1, reach: 86, preferred: -1, zone: null, category: null },
        u4: { words: [1], has: 1, reach: 66, preferred: -1, zone: null, category: null },
        u6: { words: [1], has: 0, reach: null, preferred: null, zone: null, category: null },
      });
      const rows = await rosterRows(w, ['s1'], { timezones: [], categories: [] });
      expect(rows.kind).toBe('lines');
      if (rows.kind === 'lines')
        expect(
          rows.lines
            .flatMap((l) => (l ?? '').split('\n'))
            .filter((l) => l !== '')
            .sort(),
        ).toEqual(
          [
            `1,${NO_PROFILE},u6`,
            '1,66,u4',
            `1,${67 + (TZ_OTHER << 10)},u2`,
            `1,${75 + (4 << 7) + (TZ_OTHER << 10)},u1`,
          ].sort(),
        );
    });

    it('reads the roster as columns when a member id holds a newline', async () => {
      const rows = await rosterRows(w, ['s3'], { timezones: ['Asia/Shanghai'], categories: [] });
      expect(rows.kind).toBe('columns');
      if (rows.kind !== 'columns') return;
      const c = rows.columns;
      const ids = (c['user_id'] ?? []) as string[];
      expect(
        Object.fromEntries(
          ids.map((id, i) => [id, [Number((c['w0'] ?? [])[i]), Number((c['packed'] ?? [])[i])]]),
        ),
      ).toEqual({ u1: [1, 75 + (4 << 7) + (1 << 10)], 'odd\nid': [1, NO_PROFILE] });
      const roster = await readRoster(w, [{ campaignId: 'c3', snapshotId: 's3' }], new Map(), []);
      expect(rosterByUser(roster)['odd\nid']).toEqual({
        words: [1],
        has: 0,
        reach: null,
        preferred: null,
        zone: null,
        category: null,
      });
    });

    it('values users: LTV, else expected spend, else the 365 days’ spend, rounded half away from zero', async () => {
      const { who, params } = snapshotWho('s1');
      const bySnapshot = await userValuesCents(w, who, params, NOW);
      // u1 2.625 → 262.5 → 263; u2 1.5 → 150; u4 spent 0.125 → 12.5 → 13; u6 nothing.
      expect(Object.fromEntries(bySnapshot)).toEqual({ u1: 263, u2: 150, u4: 13, u6: 0 });
      const ids = idsWho(['u3', 'u5', 'u4'], w.dialect);
      expect(Object.fromEntries(await userValuesCents(w, ids.who, ids.params, NOW))).toEqual({
        u3: 0,
        u5: 0,
        u4: 13,
      });
    });

    it('reads order histories and first responses up to a time', async () => {
      const h = await orderHistories(w, ['u1', 'u2', 'u4'], NOW);
      expect(Object.fromEntries(h)).toEqual({
        // avg(10, 20.25) = 15.125 → 1512.5 → 1513.
        u1: { lapsedSince: NOW - 5 * DAY_MS, averageOrderCents: 1513 },
        u4: { lapsedSince: NOW - 2 * DAY_MS, averageOrderCents: 13 },
      });
      const r = await firstResponses(
        w,
        [
          { userId: 'u1', sentAt: NOW - 6 * DAY_MS },
          { userId: 'u2', sentAt: NOW - 30 * DAY_MS },
          { userId: 'u4', sentAt: NOW - DAY_MS },
        ],
        ['order'],
        NOW,
      );
      expect(Object.fromEntries(r)).toEqual({ u1: NOW - 5 * DAY_MS });
      const clicks = await firstResponses(
        w,
        [{ userId: 'u2', sentAt: NOW - 30 * DAY_MS }],
        ['click', 'order'],
        NOW,
      );
      expect(Object.fromEntries(clicks)).toEqual({ u2: NOW - 20 * DAY_MS });
    });

    it('groups users by segment, all of them or a sample in id order', async () => {
      const norm = (gs: Awaited<ReturnType<typeof segmentGroups>>) =>
        gs
          .map((g) => ({ ...g, ids: [...g.ids].sort() }))
          .sort((a, b) => b.users - a.users || (a.ids[0] ?? '').localeCompare(b.ids[0] ?? ''));
      expect(norm(await segmentGroups(w, null))).toEqual([
        { tier: null, risk: null, stage: null, reason: null, users: 3, ids: ['u3', 'u4', 'u5'] },
        { tier: 'champion', risk: 'low', stage: 'active', reason: null, users: 1, ids: ['u1'] },
        { tier: 'loyal', risk: 'high', stage: 'at_risk', reason: 'price', users: 1, ids: ['u2'] },
      ]);
      const sample = await segmentGroups(w, idsWho(['u9', 'u4', 'u2', 'u4'], w.dialect), 1);
      expect(norm(sample)).toEqual([
        { tier: null, risk: null, stage: null, reason: null, users: 2, ids: ['u4'] },
        { tier: 'loyal', risk: 'high', stage: 'at_risk', reason: 'price', users: 1, ids: ['u2'] },
      ]);
    });

    it('counts delivered messages and responses per channel; finds users by region', async () => {
      const h = await channelResponseHistory(w, NOW, 30);
      expect(Object.fromEntries(h)).toEqual({
        push: { delivered: 1, responses: 1 },
        sms: { delivered: 2, responses: 1 },
      });
      const r = await usersInRegions(w, ['Zhejiang', 'North', 'Paris']);
      expect(Object.fromEntries(r)).toEqual({ u1: ['Hangzhou', 'Zhejiang'], u2: ['North'], u5: ['Paris'] });
      expect((await usersInRegions(w, ['Nowhere'])).size).toBe(0);
    });

    it('a re-planned slot replaces its decisions, even after an attempt cut half-way', async () => {
      const run = new Map([['c1', 'r1']]);
      const first: DecisionGroup[] = [
        { campaignId: 'c1', decision: 'holdout', reason: null, detail: null, userIds: ['u1', 'u2'] },
        { campaignId: 'c1', decision: 'skipped', reason: 'capped', detail: null, userIds: ['u3'] },
      ];
      const second: DecisionGroup[] = [
        { campaignId: 'c1', decision: 'holdout', reason: null, detail: null, userIds: ['u1'] },
        {
          campaignId: 'c1',
          decision: 'skipped',
          reason: 'ladder',
          detail: 'ladder step 1',
          userIds: ['u2', 'u4'],
        },
        { campaignId: 'c1', decision: 'skipped', reason: 'capped', detail: null, userIds: ['u3'] },
      ];
      // An earlier, committed run of the campaign: never touched by the re-plan.
      await writeDecisions(
        w,
        [{ campaignId: 'c1', decision: 'holdout', reason: null, detail: null, userIds: ['u2'] }],
        new Map([['c1', 'r0']]),
        SLOT - DAY_MS,
      );
      // An attempt killed after its first group, then the whole slot planned, then planned again.
      await writeDecisions(w, first.slice(0, 1), run, SLOT, { replaceRuns: true });
      await writeDecisions(w, first, run, SLOT, { replaceRuns: true });
      await writeDecisions(w, second, run, SLOT, { replaceRuns: true });
      const members = await w.query<{
        run_id: string;
        user_id: string;
        decision: string;
        reason: string | null;
      }>(`SELECT run_id, user_id, decision, reason FROM decided_members WHERE campaign_id = $1`, ['c1']);
      expect(members.map((m) => `${m.run_id} ${m.user_id} ${m.decision} ${m.reason ?? '-'}`).sort()).toEqual([
        'r0 u2 holdout -',
        'r1 u1 holdout -',
        'r1 u2 skipped ladder',
        'r1 u3 skipped capped',
        'r1 u4 skipped ladder',
      ]);
      expect([...(await ladderLeavers(w, 'c1'))].sort()).toEqual(['u2', 'u4']);
      // The user's story: the earlier run's holdout, then this slot's skip, by slot time.
      const story = await userDecisionRows(w, 'c1', 'u2');
      expect(story.map((s) => [s.runId, s.slotAt?.getTime(), s.decision, s.reason, s.detail])).toEqual([
        ['r0', SLOT - DAY_MS, 'holdout', null, null],
        ['r1', SLOT, 'skipped', 'ladder', 'ladder step 1'],
      ]);
      // Without replaceRuns (a run already committed writes more), rows are added.
      await writeDecisions(w, first.slice(1), new Map([['c1', 'r2']]), SLOT + DAY_MS);
      expect((await userDecisionRows(w, 'c1', 'u3')).map((s) => s.runId)).toEqual(['r1', 'r2']);
    });

    it('plans a slot from the roster it reads and stores the decisions once, however often re-planned', async () => {
      const roster = await readRoster(
        w,
        [
          { campaignId: 'p1', snapshotId: 's1' },
          { campaignId: 'p2', snapshotId: 's2' },
        ],
        new Map(),
        ['recall'],
      );
      // u2 had a push an hour ago: one message a day caps them out of p1 (p2 mails, and u2 has no
      // address).
      const history = new Map<string, SentBefore[]>([
        [
          'u2',
          [{ userId: 'u2', campaignId: 'p0', channel: 'push', class: 'marketing', at: SLOT - 3_600_000 }],
        ],
      ]);
      const result = planSlot({
        slotAt: SLOT,
        campaigns: [
          campaign('p1', { runId: 'rp1', channels: ['push'] }),
          campaign('p2', { runId: 'rp2', channels: ['email'] }),
        ],
        members: roster,
        users: null,
        history,
        policy: policy({
          caps: [{ scope: 'total', max: 1, window: { kind: 'rolling', hours: 24 } }],
          sendWindows: {},
        }),
      });
      const outcomes = Object.fromEntries(
        [
          ['p1', 'u1'],
          ['p1', 'u2'],
          ['p1', 'u4'],
          ['p1', 'u6'],
          ['p2', 'u2'],
          ['p2', 'u3'],
        ].map(([c, u]) => [`${c} ${u}`, outcomeOf(result, c as string, u as string).replace(/@.*/, '')]),
      );
      expect(outcomes).toEqual({
        'p1 u1': 'push',
        'p1 u2': 'cap_total',
        'p1 u4': 'unreachable',
        'p1 u6': 'no_profile',
        'p2 u2': 'unreachable',
        'p2 u3': 'email',
      });
      const groups = groupDecisions(result);
      const runs = new Map([
        ['p1', 'rp1'],
        ['p2', 'rp2'],
      ]);
      for (let attempt = 0; attempt < 2; attempt++)
        await writeDecisions(w, groups, runs, SLOT, { replaceRuns: true });
      const counts = await w.query<{ campaign_id: string; reason: string; n: unknown }>(
        `SELECT campaign_id, reason, count(*) AS n FROM decided_members WHERE run_id IN ('rp1', 'rp2')
         GROUP BY campaign_id, reason ORDER BY campaign_id, reason`,
      );
      expect(counts.map((r) => `${r.campaign_id} ${r.reason} ${Number(r.n)}`)).toEqual([
        'p1 cap_total 1',
        'p1 no_profile 1',
        'p1 unreachable 1',
        'p2 unreachable 1',
      ]);
    });

    it('reads per-member decisions too, and who the warehouse knows', async () => {
      await w.write(
        `INSERT INTO plan_decisions (run_id, campaign_id, slot_at, user_id, decision, reason, detail)
         SELECT 'rx', 'c9', ${w.dialect.timeFromMs('$1')}, 'u5', 'skipped', 'no_channel', NULL`,
        [SLOT],
      );
      const rows = await userDecisionRows(w, 'c9', 'u5');
      expect(rows).toEqual([
        { runId: 'rx', slotAt: new Date(SLOT), decision: 'skipped', reason: 'no_channel', detail: null },
      ]);
      expect([...(await snapshotsHolding(w, ['s1', 's2', 's3'], 'u2'))].sort()).toEqual(['s1', 's2']);
      expect((await snapshotsHolding(w, [], 'u2')).size).toBe(0);
      expect(await userKnown(w, 'u4')).toBe(true);
      expect(await userKnown(w, 'u5')).toBe(true);
      expect(await userKnown(w, 'u9')).toBe(false);
    });
  });
};
