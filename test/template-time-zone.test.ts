import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../src/core/campaigns/policy-schema.ts';
import { compileContent, defaultContentEngine, renderContent } from '../src/core/content/index.ts';
import { Composer } from '../src/delivery/compose.ts';
import type { ClaimedRow } from '../src/outbox/claim.ts';
import { putPolicy } from '../src/storage/control/planner-settings.ts';
import { approvedCampaign } from './support/delivery-fixtures.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * Templates render dates and times in each recipient's time zone (issue 17): the profile's
 * `timezone`, else the workspace's default (`policy.defaultTimezone`), never the server's.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30); // 11:30 in Shanghai, 22:30 the day before in New York
const AT = '2026-11-20T15:30:00Z';

describe('dates in the recipient’s time zone', () => {
  let s: ScenarioStore;

  beforeAll(async () => {
    s = await openScenario();
    s.setNow(NOW);
    await seed(s.warehouse, [
      profile('u-sh', NOW - 10 * 86_400_000, { timezone: 'Asia/Shanghai' }),
      profile('u-ny', NOW - 10 * 86_400_000, { timezone: 'America/New_York' }),
      profile('u-none', NOW - 10 * 86_400_000),
    ]);
    expect(
      await putPolicy(s.control, {
        workspaceId: 'default',
        policy: { ...DEFAULT_POLICY, defaultTimezone: 'Europe/London' },
        expectedVersion: 0,
        by: null,
        at: NOW,
      }),
    ).toBe(true);
    await approvedCampaign(s.control, 'cmp_tz', [
      {
        channel: 'in_app',
        title: '{{ "now" | date: "%Y-%m-%d %H:%M" }}',
        body: '{{ data.at | date: "%m月%d日 %H:%M %z" }} / {{ data.at | date: "%H:%M", "UTC" }}',
      },
    ]);
  });
  afterAll(async () => {
    await s.close();
  });

  const row = (userId: string): ClaimedRow => ({
    idempotencyKey: `cmp_tz:r:0:${userId}`,
    workspaceId: 'default',
    campaignId: 'cmp_tz',
    runId: 'r',
    step: '0',
    userId,
    channel: 'in_app',
    class: 'transactional',
    variant: null,
    sendAt: NOW,
    costCents: 0,
    attempts: 0,
    providerId: null,
    pinned: false,
    payload: { at: AT },
    claimToken: 'claim-test',
    startedAt: null,
  });

  it('two recipients in different zones get their own local times; no zone → the workspace default', async () => {
    const composer = new Composer({
      control: s.control,
      warehouse: s.warehouse,
      publicUrl: 'https://r.example.com',
    });
    const out = await composer.compose(['u-sh', 'u-ny', 'u-none'].map(row), NOW);
    const shown = out.map((m) => (m.ok && m.message.content.channel === 'in_app' ? m.message.content : m));
    expect(shown).toEqual([
      { channel: 'in_app', title: '2026-11-20 11:30', body: '11月20日 23:30 +0800 / 15:30' },
      { channel: 'in_app', title: '2026-11-19 22:30', body: '11月20日 10:30 -0500 / 15:30' },
      { channel: 'in_app', title: '2026-11-20 03:30', body: '11月20日 15:30 +0000 / 15:30' },
    ]);
  });

  it('the zone is per render: one compiled template, two zones, daylight saving included', () => {
    const c = compileContent(
      { channel: 'push', title: '{{ at | date: "%H:%M %Z" }}', body: '{{ at | date_to_xmlschema }}' },
      defaultContentEngine(),
    );
    if (!c.ok) throw new Error('compile');
    const render = (at: string, timezone?: string) =>
      renderContent(
        c.value,
        { user: { user_id: 'u' }, campaign: { name: 'c' }, extra: { at } },
        { now: NOW, timezone },
      ).content;
    // July: New York is on daylight time (-04:00); without a zone the engine's Asia/Shanghai.
    expect(render('2026-07-01T12:00:00Z', 'America/New_York')).toMatchObject({
      title: '08:00 America/New_York',
      body: '2026-07-01T08:00:00-04:00',
    });
    expect(render('2026-07-01T12:00:00Z')).toMatchObject({ title: '20:00 Asia/Shanghai' });
  });
});
