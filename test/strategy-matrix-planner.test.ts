import { afterEach, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { estimateCampaignAs } from '../src/campaigns/estimate.ts';
import { planLadderFollowUps } from '../src/campaigns/ladder-follow-ups.ts';
import { DEFAULT_POLICY } from '../src/core/campaigns/policy-schema.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { updatePolicyAs } from '../src/planner/settings-service.ts';
import { updateMatrixAs } from '../src/planner/strategy-matrix-service.ts';
import { approvedCampaign, plannerActors } from './support/planner-scenario.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * The strategy matrix enforced by the planner on real stores (PGlite, DuckDB), clock injected:
 * two recall flows and a promotion over the same audience, a matrix sending high-value price-
 * sensitive users to one flow, the other high-value users to the other, low-value users to
 * do-not-disturb. Caps and the per-slot conflict limit are lifted, so only the matrix keeps the
 * flows apart. Through the first slot and the ladders' follow-ups no user ever gets messages of
 * both flows, do-not-disturb users get no marketing at all, and every skip says which cell.
 */

const NOW = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

// user → [tier, risk, stage, churn reason]
const SEGMENTS: Record<string, [string, string | null, string, string | null]> = {
  u1: ['high', 'high', 'silent', 'economic'],
  u2: ['high', 'high', 'silent', 'competitor'],
  u3: ['high', 'low', 'mature', null],
  u4: ['medium', 'high', 'silent', 'economic'],
  u5: ['low', 'high', 'churned', null],
  u6: ['low', null, 'new', null],
  u7: ['none', 'medium', 'growing', null],
};

const content = [
  { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
];

describe('strategy matrix in the planner', () => {
  it('two flows never reach one user; do-not-disturb users get no marketing; skips name the cell', async () => {
    const s = await openScenario();
    store = s;
    s.setNow(NOW - HOUR);
    const registered = NOW - 200 * DAY;
    await seed(
      s.warehouse,
      Object.entries(SEGMENTS).map(([id, [, , , reason]]) =>
        profile(
          id,
          registered,
          { acquisition_channel: 'distribution', timezone: 'Asia/Shanghai', push_token: `t-${id}` },
          reason === null ? {} : { churn_reason: reason },
        ),
      ),
    );
    for (const [id, [tier, risk, stage]] of Object.entries(SEGMENTS))
      await s.warehouse.query(
        'INSERT INTO user_scores (user_id, rfm_tier, churn_risk_level, lifecycle_stage) VALUES ($1, $2, $3, $4)',
        [id, tier, risk, stage],
      );
    const a = await plannerActors(s.control);
    const policy = await updatePolicyAs(s, a.admin, {
      version: 0,
      policy: { ...DEFAULT_POLICY, caps: [], maxMarketingPerSlot: 3, marketingGapHours: 0 },
    });
    expect(policy.ok).toBe(true);
    const aud = await createSavedAudience(s, a.op, {
      name: 'Everyone',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!aud.ok) throw new Error('audience');
    const ladder = {
      steps: [
        { channel: 'push', waitHours: 24 },
        { channel: 'in_app', waitHours: 24 },
      ],
      responseEvents: ['order'],
    };
    const base = {
      audienceId: aud.value.id,
      timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
      channels: ['push', 'in_app'],
      content: [...content, { channel: 'in_app', title: '好久不见', body: '回来看看' }],
      holdoutShare: 0,
    };
    const price = await approvedCampaign(s, a, '价格关怀', { ...base, ladder, priority: 90 });
    const vip = await approvedCampaign(s, a, '高价值召回', { ...base, ladder, priority: 10 });
    const promo = await approvedCampaign(s, a, '双十一大促', {
      ...base,
      channels: ['push'],
      content,
      priority: 50,
    });

    const saved = await updateMatrixAs(s, a.admin, {
      version: 0,
      matrix: {
        enabled: true,
        dndScope: 'marketing',
        flowsNeedLadder: true,
        cells: [
          {
            id: 'price',
            tier: 'high',
            risk: 'high',
            reason: 'economic',
            action: { kind: 'flow', campaignId: price.id },
          },
          { id: 'vip', tier: 'high', action: { kind: 'flow', campaignId: vip.id } },
          { id: 'mid', tier: 'medium', risk: 'high', action: { kind: 'flow', campaignId: price.id } },
          { id: 'quiet', tier: 'low', action: { kind: 'do_not_disturb' } },
        ],
      },
    });
    if (!saved.ok) throw new Error(JSON.stringify(saved.error));

    s.setNow(NOW);
    // The estimate's dry run obeys the matrix too.
    const est = await estimateCampaignAs(s, a.op, vip.id, {
      conversionRate: 0.1,
      baselineConversionRate: 0.05,
      averageOrderCents: 10_000,
      marginRate: 0.3,
    });
    if (!est.ok) throw new Error(JSON.stringify(est.error));
    expect(est.value).toMatchObject({ members: 7, messages: 2, skipReasons: { strategy_matrix: 5 } });

    const report = await runSlot(s, 'default', NOW);
    const run = (id: string) => report.campaigns.find((c) => c.campaignId === id);
    expect(run(price.id)).toMatchObject({
      members: 7,
      messages: 2,
      skipped: 5,
      skipReasons: { strategy_matrix: 5 },
    });
    expect(run(vip.id)).toMatchObject({
      members: 7,
      messages: 2,
      skipped: 5,
      skipReasons: { strategy_matrix: 5 },
    });
    // The promotion is no flow: only the do-not-disturb cell (u5, u6) stays out of it.
    expect(run(promo.id)).toMatchObject({
      members: 7,
      messages: 5,
      skipped: 2,
      skipReasons: { strategy_matrix: 2 },
    });

    // A day and a bit later the ladders' second step goes to their non-responders.
    s.setNow(NOW + 25 * HOUR);
    const followUps = await planLadderFollowUps(s);
    expect(followUps.map((f) => f.sent).sort()).toEqual([2, 2]);

    const rows = await s.control.query<{ campaign_id: string; user_id: string; step: string }>(
      'SELECT campaign_id, user_id, step FROM outbox ORDER BY user_id, campaign_id, step',
    );
    const of = (c: string) =>
      [...new Set(rows.filter((r) => r.campaign_id === c).map((r) => r.user_id))].sort();
    expect(of(price.id)).toEqual(['u1', 'u4']);
    expect(of(vip.id)).toEqual(['u2', 'u3']);
    for (const id of Object.keys(SEGMENTS)) {
      const flows = new Set(
        rows.filter((r) => r.user_id === id && r.campaign_id !== promo.id).map((r) => r.campaign_id),
      );
      expect(flows.size).toBeLessThanOrEqual(1);
    }
    // Do-not-disturb: no marketing message of any campaign.
    expect(rows.filter((r) => r.user_id === 'u5' || r.user_id === 'u6')).toEqual([]);
    // u7 is in no cell: no flow reaches them, the promotion does.
    expect(rows.filter((r) => r.user_id === 'u7').map((r) => r.campaign_id)).toEqual([promo.id]);

    const skips = await s.warehouse.query<{
      campaign_id: string;
      user_id: string;
      reason: string;
      detail: string;
    }>(`SELECT campaign_id, user_id, reason, detail FROM decided_members WHERE decision = 'skipped'`);
    const detail = (c: string, u: string) => skips.find((x) => x.campaign_id === c && x.user_id === u);
    expect(detail(vip.id, 'u1')).toEqual({
      campaign_id: vip.id,
      user_id: 'u1',
      reason: 'strategy_matrix',
      detail:
        "策略矩阵：高价值·高风险·价格敏感 → 流程「价格关怀」 / strategy matrix: high value · high risk · price-sensitive → flow '价格关怀'",
    });
    expect(detail(price.id, 'u3')?.detail).toBe(
      "策略矩阵：高价值 → 流程「高价值召回」 / strategy matrix: high value → flow '高价值召回'",
    );
    expect(detail(promo.id, 'u5')?.detail).toBe(
      '策略矩阵：低价值 → 勿扰 / strategy matrix: low value → do not disturb',
    );
    expect(detail(vip.id, 'u7')?.detail).toBe(
      "策略矩阵：无匹配单元，不属于流程「高价值召回」 / strategy matrix: no cell, not in flow '高价值召回'",
    );
  }, 60_000);
});
