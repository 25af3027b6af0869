import { afterEach, describe, expect, it } from 'vitest';
import { formatChurnStructure } from '../src/cli/commands/scores.ts';
import { churnStructure } from '../src/scores/churn-structure.ts';
import { NOT_CHURNED } from '../src/scores/warning-rules.ts';
import { putScoreConfig } from '../src/scores/score-config.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import type { WarehouseStore } from '../src/storage/warehouse-sql.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import {
  NOW,
  TEST_CONFIG,
  daysAgo,
  event,
  openScenario,
  profile,
  seed,
  type ScenarioStore,
} from './support/score-scenario.ts';

/**
 * Churn structure by registration day, week and month and by acquisition campaign (features.md
 * B4) on hand-made users. NOW is Friday 2026-11-20 12:00 UTC; TEST_CONFIG churns after 30 days
 * without login or invest, so users registered before 2026-10-21 are eligible.
 */
const at = (iso: string) => Date.parse(iso);

const seedCohorts = (w: Pick<WarehouseStore, 'commit'>) =>
  seed(
    w,
    [
      // utm_campaign wins over acquisition_campaign.
      profile(
        'a1',
        at('2026-10-05T10:00:00Z'),
        {},
        { utm_campaign: 'spring_sale', acquisition_campaign: 'other' },
      ),
      profile('a2', at('2026-10-05T23:00:00Z'), {}, { acquisition_campaign: 'spring_sale' }),
      // A blank campaign is no campaign.
      profile('a3', at('2026-10-07T08:00:00Z'), {}, { utm_campaign: '  ' }),
      profile('a4', at('2026-10-12T08:00:00Z'), {}, { utmCampaign: 'kol_may' }),
      profile('a5', at('2026-09-28T08:00:00Z')),
      profile('y1', daysAgo(10), {}, { utm_campaign: 'spring_sale' }),
    ],
    [event('a1', 'login', daysAgo(2)), event('a4', 'login', daysAgo(5)), event('y1', 'login', daysAgo(1))],
  );

const rows = (r: { key: string; users: number; churned: number }[]) =>
  r.map((x) => [x.key, x.users, x.churned]);

let store: ScenarioStore | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  await server?.stop();
  server?.cleanup();
  server = undefined;
});

describe('churn structure by registration cohort and campaign', () => {
  it('counts eligible and churned users per registration day, week (from Monday) and month', async () => {
    store = await openScenario();
    await seedCohorts(store.warehouse);
    const day = await churnStructure(store.warehouse, TEST_CONFIG, NOW, { by: 'registration', grain: 'day' });
    expect(day).toMatchObject({ users: 6, eligible: 5, tooNew: 1, churned: 3 });
    expect(rows(day.cohorts.rows)).toEqual([
      ['2026-09-28', 1, 1],
      ['2026-10-05', 2, 1],
      ['2026-10-07', 1, 1],
      ['2026-10-12', 1, 0],
    ]);
    expect(day.cohorts.rows[1]).toMatchObject({ churnRate: 0.5, shareOfChurned: 1 / 3 });
    const week = await churnStructure(store.warehouse, TEST_CONFIG, NOW, {
      by: 'registration',
      grain: 'week',
    });
    expect(rows(week.cohorts.rows)).toEqual([
      ['2026-09-28', 1, 1],
      ['2026-10-05', 3, 2],
      ['2026-10-12', 1, 0],
    ]);
    const month = await churnStructure(store.warehouse, TEST_CONFIG, NOW);
    expect(month.cohorts).toMatchObject({ by: 'registration', grain: 'month' });
    expect(rows(month.cohorts.rows)).toEqual([
      ['2026-09', 1, 1],
      ['2026-10', 4, 2],
    ]);
    expect(month.cohorts.rows).toEqual(month.byCohort);
  });

  it('groups by the acquisition campaign trait, largest first, unknown where a profile has none', async () => {
    store = await openScenario();
    await seedCohorts(store.warehouse);
    const r = await churnStructure(store.warehouse, TEST_CONFIG, NOW, { by: 'campaign', grain: 'month' });
    expect(rows(r.cohorts.rows)).toEqual([
      ['(unknown)', 2, 2],
      ['spring_sale', 2, 1],
      ['kol_may', 1, 0],
    ]);
    expect(r.cohorts.rows.map((c) => c.churnRate)).toEqual([1, 0.5, 0]);
    const text = formatChurnStructure(r);
    expect(text).toContain('By acquisition campaign');
    expect(text).toMatch(/spring_sale\s+2\s+1\s+50\.0 %\s+33\.3 %/);
  });

  it('answers by= and grain= over HTTP and refuses other values', async () => {
    server = await startTestServer({ clock: () => NOW });
    const s = server;
    await seedCohorts(s.rt.warehouse);
    const ctx = { control: s.rt.control, warehouse: s.rt.warehouse, clock: () => NOW };
    expect((await putScoreConfig(ctx, null, { version: 0, config: TEST_CONFIG })).ok).toBe(true);
    const u = await createUser(s.rt.control, { name: 'vera', role: 'viewer' });
    if (!u.ok) throw new Error('user exists');
    const token = await issueApiToken(s.rt.control, u.value.id);
    const get = async (q: string) => {
      const res = await fetch(`${s.url}/v1/analysis/churn-structure${q}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const week = await get('?by=registration&grain=week');
    expect(week.status).toBe(200);
    expect(week.json['cohorts']).toEqual({
      by: 'registration',
      grain: 'week',
      range: null,
      rows: [
        { key: '2026-09-28', users: 1, churned: 1, churnRate: 1, shareOfChurned: 1 / 3 },
        { key: '2026-10-05', users: 3, churned: 2, churnRate: 2 / 3, shareOfChurned: 2 / 3 },
        { key: '2026-10-12', users: 1, churned: 0, churnRate: 0, shareOfChurned: 0 },
      ],
    });
    const campaign = await get('?by=campaign');
    expect((campaign.json['cohorts'] as { grain: string }).grain).toBe('month');
    expect((campaign.json['cohorts'] as { rows: { key: string }[] }).rows[1]?.key).toBe('spring_sale');
    expect((await get('?grain=year')).status).toBe(400);
    const templates = await fetch(`${s.url}/v1/warning-rules/templates`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(templates.status).toBe(200);
    const t = (await templates.json()) as {
      templates: { name: string; definition: { children: unknown[] } }[];
    };
    expect(t.templates.map((x) => x.name)).toContain('No login for 15 days, balance under 100');
    for (const x of t.templates) expect(x.definition.children).toContainEqual(NOT_CHURNED);
    expect((await fetch(`${s.url}/v1/warning-rules/templates`)).status).toBe(401);
    expect((await get('?by=city')).status).toBe(400);
  });
});
