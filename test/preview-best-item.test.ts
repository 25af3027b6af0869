import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { composeExtensions } from '../src/automation/compose-extensions.ts';
import { uploadCatalogAs } from '../src/automation/catalog-service.ts';
import { createCampaignAs } from '../src/campaigns/campaigns.ts';
import { previewCampaignAs } from '../src/campaigns/estimate.ts';
import type { Actor } from '../src/core/auth/roles.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import { Composer } from '../src/delivery/compose.ts';
import type { ClaimedRow } from '../src/outbox/claim.ts';
import { createUser } from '../src/storage/control/users.ts';
import { event, openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * The campaign preview renders on delivery's path (issue 17): a "best item" campaign's preview
 * shows the item the composer would pick for that user — not " now ¥" with missing variables —
 * and says when delivery would skip the user.
 */

const NOW = Date.UTC(2026, 10, 11, 4); // 12:00 in Shanghai
const DAY = 86_400_000;

const shop = (
  userId: string,
  name: string,
  daysAgo: number,
  productId: string,
  category: string,
): EventRow => ({
  ...event(userId, name, NOW - daysAgo * DAY),
  productId,
  category,
});

describe('preview of a best-item campaign', () => {
  let s: ScenarioStore;
  let op: Actor;
  let campaignId = '';

  beforeAll(async () => {
    s = await openScenario();
    s.setNow(NOW);
    await seed(
      s.warehouse,
      ['u1', 'u2'].map((u) =>
        profile(u, NOW - 100 * DAY, {
          acquisition_channel: 'distribution',
          timezone: 'Asia/Shanghai',
          email: `${u}@example.com`,
        }),
      ),
      [shop('u1', 'view_item', 1, 'run-2', 'shoes')],
    );
    const u = await createUser(s.control, { name: 'olga', role: 'operator' });
    if (!u.ok) throw new Error('user');
    op = { userId: u.value.id, workspaceId: 'default', name: 'olga', role: 'operator' };
    const up = await uploadCatalogAs(s, op, {
      format: 'json',
      items: [
        {
          id: 'run-2',
          name: '越野鞋',
          category: 'shoes',
          priceCents: 59_900,
          salePriceCents: 49_900,
          landingUrl: 'https://shop.example.com/run-2',
        },
      ],
    });
    expect(up.ok).toBe(true);
    const aud = await createSavedAudience(s, op, {
      name: 'All',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!aud.ok) throw new Error('audience');
    const c = await createCampaignAs(s, op, {
      name: 'Best item mail',
      definition: {
        audienceId: aud.value.id,
        timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
        channels: ['email'],
        content: [
          {
            channel: 'email',
            subject: '{{ item.name }} now ¥{{ item.sale_price_yuan }}',
            html: '<p>{{ item.name }} now ¥{{ item.sale_price_yuan }}</p><a href="{{ unsubscribe_url }}">退订</a>',
          },
        ],
        recommendation: { kind: 'best_item', lookbackDays: 30 },
      },
    });
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    campaignId = c.value.id;
  });
  afterAll(async () => {
    await s.close();
  });

  it('shows the item delivery picks for the user, with no missing variables', async () => {
    const p = await previewCampaignAs(s, op, campaignId, { userId: 'u1' });
    if (!p.ok) throw new Error(JSON.stringify(p.error));
    const [email] = p.value.preview.channels;
    expect(email?.rendered).toMatchObject({ subject: '越野鞋 now ¥499.00' });
    expect(email?.issues).toEqual([]);
    expect(p.value.skipped).toBeNull();

    // The delivered mail for the same user says the same.
    const row: ClaimedRow = {
      idempotencyKey: `${campaignId}:r:0:u1`,
      workspaceId: 'default',
      campaignId,
      runId: 'r',
      step: '0',
      userId: 'u1',
      channel: 'email',
      class: 'marketing',
      variant: null,
      sendAt: NOW,
      costCents: 0,
      attempts: 0,
      providerId: null,
      pinned: false,
      payload: null,
      claimToken: 'claim-test',
      startedAt: null,
    };
    const composer = new Composer({
      control: s.control,
      warehouse: s.warehouse,
      publicUrl: 'https://r.example.com',
      extensions: composeExtensions(s),
    });
    const [sent] = await composer.compose([row], NOW);
    if (!sent?.ok) throw new Error(JSON.stringify(sent));
    expect(sent.message.content).toMatchObject({ subject: '越野鞋 now ¥499.00' });
    expect((sent.message.content as { html: string }).html).toContain('<p>越野鞋 now ¥499.00</p>');
    expect((email?.rendered as { html: string }).html).toContain('<p>越野鞋 now ¥499.00</p>');
  });

  it('says when delivery would skip the user (no item to recommend)', async () => {
    const p = await previewCampaignAs(s, op, campaignId, { userId: 'u2' });
    if (!p.ok) throw new Error(JSON.stringify(p.error));
    expect(p.value.skipped).toBe('no_recommendation');
  });
});
