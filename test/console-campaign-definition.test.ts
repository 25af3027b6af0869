import { describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGNS } from '../src/cli/demo-history.ts';
import { validateContents } from '../src/core/content/validate.ts';
import {
  campaignOfferKept,
  channelsBeyondEditor,
  fromCampaign,
  initialEditor,
  keptBeyondForm,
  missingFields,
  sharesOf,
  toDefinition,
} from '../console/src/features/campaigns/definition.ts';
import { placeProblem } from '../console/src/features/campaigns/field-errors.ts';
import { en, zhCN } from '../console/src/lib/dict/campaign-editor.ts';
import type { Campaign } from '../console/src/lib/api-types.ts';

/**
 * The campaign editor's mapping of every channel's content (definition.ts, channel-content.ts):
 * opening a campaign and saving it untouched gives the server back the same contents, the
 * campaign's and each A/B variant's, and the editor is read-only only for a channel it does not know.
 */

const zh = (k: string) => (zhCN as Record<string, string>)[k] ?? `?${k}`;
const enT = (k: string) => (en as Record<string, string>)[k] ?? `?${k}`;

const campaign = (definition: Record<string, unknown>): Campaign =>
  ({ id: 'c', name: 'x', status: 'draft', version: 1, definition }) as unknown as Campaign;

/** One content per channel, with every optional field the schema has. */
const EVERY: Record<string, unknown>[] = [
  { channel: 'push', title: '好久不见', body: '{{ user.user_id }}，新品上架', landingUrl: 'myapp://home' },
  { channel: 'sms', text: '{{ user.user_id }}您好 回T退订', signature: '【Rekindle】' },
  {
    channel: 'in_app',
    title: '专属券已到账',
    body: '{{ offer.amount_yuan }} 元券，{{ user.city }} 专享',
    imageUrl: 'https://cdn.example.com/banner.png',
    landingUrl: 'myapp://coupon/1',
  },
  {
    channel: 'email',
    subject: '{{ user.user_id }}，您的专属券',
    html: '<p>您好</p><a href="{{ unsubscribe_url }}">退订</a>',
    text: '您好（退订：{{ unsubscribe_url }}）',
    fromName: 'Rekindle 商城',
  },
  {
    channel: 'wecom',
    templateId: 'TPL-001',
    fields: { thing1: '{{ offer.condition }}', 'time2.DATA': '', amount3: '{{ offer.amount_yuan }}' },
    landingUrl: 'https://shop.example.com/c',
    title: '优惠提醒',
    description: '{{ user.user_id }} 的专属券',
  },
  { channel: 'call', script: '您好，我是 Rekindle 的客服，{{ user.user_id }} 您有一张券即将到期。' },
  { channel: 'webhook', body: '{"user": "{{ user.user_id }}", "amount": "{{ offer.amount | json }}"}' },
];

/** The same channels with only their required fields. */
const BARE: Record<string, unknown>[] = [
  { channel: 'push', title: 't', body: 'b' },
  { channel: 'sms', text: 's', signature: '【R】' },
  { channel: 'in_app', title: 't', body: 'b' },
  { channel: 'email', subject: 's', html: '<p>h</p>' },
  { channel: 'wecom', templateId: 'T', fields: {} },
  { channel: 'call', script: 's' },
  { channel: 'webhook', body: '{}' },
];

const definitionWith = (content: Record<string, unknown>[], variants: unknown[] = []) => ({
  audienceId: 'a1',
  timing: { kind: 'one_off', at: '2030-01-08T01:00:00.000Z' },
  channels: content.map((c) => c['channel']),
  content,
  ...(content.some((c) => c['channel'] === 'sms') ? { smsMaxSegments: 3 } : {}),
  goal: { event: 'order', withinDays: 3 },
  variants,
  holdoutShare: 0.1,
  priority: 50,
  outsideWindow: 'hold',
});

describe('campaign editor: every channel round-trips', () => {
  it('the fixtures are contents the server takes', () => {
    expect(validateContents(EVERY).ok).toBe(true);
    expect(validateContents(BARE).ok).toBe(true);
  });

  it.each([
    ['with every optional field', EVERY],
    ['with only the required fields', BARE],
  ])('opens and saves each channel %s unchanged', (_, content) => {
    const d = definitionWith(content);
    const c = campaign(d);
    expect(channelsBeyondEditor(c)).toEqual([]);
    const out = toDefinition(fromCampaign(c));
    expect(out['channels']).toEqual(d.channels);
    expect(out['content']).toEqual(d.content);
    expect(missingFields({ ...fromCampaign(c), name: 'n' })).toEqual([]);
    // Each channel alone, too.
    for (const one of content) {
      const single = definitionWith([one]);
      expect(toDefinition(fromCampaign(campaign(single)))['content']).toEqual([one]);
    }
  });

  it('opens and saves each demo campaign (in-app) unchanged', () => {
    for (const demo of DEMO_CAMPAIGNS) {
      const content = [{ channel: 'in_app', title: demo.title, body: demo.body, landingUrl: demo.landing }];
      expect(validateContents(content).ok).toBe(true);
      const c = campaign(definitionWith(content));
      expect(channelsBeyondEditor(c)).toEqual([]);
      const s = fromCampaign(c);
      expect(s.more.in_app.body).toBe(demo.body);
      expect(toDefinition(s)['content']).toEqual(content);
      expect(s.goalEvent).toBe('order');
    }
  });

  it("keeps each A/B variant's own content of every channel", () => {
    const own = BARE.map((c) =>
      c['channel'] === 'webhook'
        ? { channel: 'webhook', body: '{"v": "B"}' }
        : c['channel'] === 'wecom'
          ? { ...c, fields: { thing1: 'B' } }
          : { ...c, [Object.keys(c)[1] ?? '']: 'B 组' },
    );
    const variants = [
      { id: 'A', weight: 50 },
      { id: 'B', weight: 50, content: own, channels: ['in_app', 'email'] },
    ];
    const d = definitionWith(EVERY, variants);
    const s = fromCampaign(campaign(d));
    expect(s.variants[1]?.own).toMatchObject({
      in_app: true,
      email: true,
      wecom: true,
      call: true,
      webhook: true,
    });
    expect(Object.values(s.variants[0]?.own ?? { x: true }).some(Boolean)).toBe(false);
    const out = toDefinition(s);
    expect(out['content']).toEqual(EVERY);
    expect(out['variants']).toEqual(variants);
  });

  it('a new campaign on a channel lists its empty required fields; an unknown channel stays read-only', () => {
    const s = {
      ...initialEditor(),
      name: 'n',
      audienceId: 'a',
      channels: ['in_app', 'email', 'wecom', 'call', 'webhook'] as const,
    };
    expect(missingFields({ ...s, channels: [...s.channels] })).toEqual([
      'ced.missing.in_app',
      'ced.missing.email',
      'ced.missing.wecom',
      'ced.missing.call',
      'ced.missing.webhook',
    ]);
    expect(channelsBeyondEditor(campaign(definitionWith([{ channel: 'fax', text: 'x' }])))).toEqual(['fax']);
  });

  it("places the server's refusals of these channels at their field, in words", () => {
    const channels = EVERY.map((c) => String(c['channel']));
    const at = (path: string, message: string, t = zh) =>
      placeProblem(
        { path, message },
        t,
        (i) => channels[i],
        () => undefined,
      );
    expect(at('content[2].body', 'line 1, column 5: output "{{ x" not closed')).toEqual({
      anchor: 'in_app.body',
      label: '站内信正文',
      text: '第 5 个字符：未闭合的 {{',
    });
    expect(at('content[3].subject', 'expected string length greater or equal to 1')).toMatchObject({
      anchor: 'email.subject',
      label: '邮件主题',
      text: '不能为空',
    });
    expect(at('content[4].fields.thing1', 'longer than 1000 characters')).toMatchObject({
      anchor: 'wecom.fields',
      label: '模板字段',
    });
    expect(
      at(
        'content[6].body',
        'is not valid JSON: line 2, column 5 (character 14): expected a value, found "}"',
      ),
    ).toEqual({
      anchor: 'webhook.body',
      label: '回调数据（JSON）',
      text: '第 2 行第 5 个字符：不是有效的 JSON',
    });
    expect(at('content[6].url', 'is not allowed: webhook messages go to the endpoint', enT)).toMatchObject({
      anchor: 'webhook.url',
      label: 'Old endpoint address',
    });
    expect(at('content[5].script', 'expected string length less or equal to 20000', enT)).toMatchObject({
      anchor: 'call.script',
      label: 'Call script',
      text: 'at most 20000 characters',
    });
  });
});

describe('campaign editor: what the form does not show is kept', () => {
  const ladder = { steps: [{ channel: 'push' }, { channel: 'sms', afterHours: 48 }] };
  const full = (over: Record<string, unknown>) => ({
    ...definitionWith(EVERY.slice(0, 2)),
    class: 'transactional',
    category: 'winback',
    department: '会员运营部',
    reEligibilityDays: 30,
    ladder,
    recommendation: { event: 'view_item', property: 'sku' },
    budgetCents: 50_000,
    ...over,
  });

  it('an untouched campaign saves back exactly as loaded, with a trigger’s conditions and the offer’s rules', () => {
    const d = full({
      timing: {
        kind: 'triggered',
        event: 'cart_add',
        where: { source: 'app' },
        delayMinutes: 30,
        unlessEvent: 'order',
      },
      offer: {
        kind: 'red_packet',
        amount: { type: 'fixed', amount: 800 },
        validityDays: 14,
        expectedRedemptionRate: 0.35,
        costRecognition: 'issue',
      },
    });
    const s = fromCampaign(campaign(d));
    expect(toDefinition(s)).toEqual(d);
    expect(keptBeyondForm(s)).toEqual([
      'ced.kept.class',
      'ced.kept.category',
      'ced.kept.department',
      'ced.kept.reEligibilityDays',
      'ced.kept.ladder',
      'ced.kept.recommendation',
      'ced.kept.timing.where',
      'ced.kept.timing.unlessEvent',
    ]);
    for (const k of keptBeyondForm(s)) {
      expect(zh(k)).not.toMatch(/^\?/);
      expect(enT(k)).not.toMatch(/^\?/);
    }
    // Changing the amount keeps the red packet's kind, validity and redemption rate.
    const more = toDefinition({ ...s, offerAmountCents: 1_200 });
    expect(more['offer']).toEqual({
      ...((d as Record<string, unknown>)['offer'] as object),
      amount: { type: 'fixed', amount: 1_200 },
    });
    // Another trigger kind drops the old one's conditions; a schedule keeps its start and end.
    expect(toDefinition({ ...s, timing: 'periodic' })['timing']).toEqual({
      kind: 'periodic',
      cron: '0 9 * * *',
      timezone: 'Asia/Shanghai',
    });
    const periodic = full({
      timing: {
        kind: 'periodic',
        cron: '0 10 * * 1',
        timezone: 'Asia/Shanghai',
        startAt: '2030-01-01T00:00:00.000Z',
        endAt: '2030-03-01T00:00:00.000Z',
      },
    });
    expect(toDefinition(fromCampaign(campaign(periodic)))).toEqual(periodic);
  });

  it('an offer whose amount follows a rule is kept whole and the amount field says so', () => {
    const offer = {
      kind: 'coupon',
      amount: { type: 'by_days_lapsed', tiers: [{ minDays: 30, amount: 500 }] },
      validityDays: 7,
      expectedRedemptionRate: 0.2,
      costRecognition: 'redemption',
    };
    const s = fromCampaign(campaign(full({ offer })));
    expect(campaignOfferKept(s)).toBe(true);
    expect(keptBeyondForm(s)).toContain('ced.kept.offerRule');
    expect(toDefinition(s)['offer']).toEqual(offer);
  });

  it('three equal variants read 34 / 33 / 33 (Save takes them) and keep their weights when untouched', () => {
    const d = full({ variants: [1, 1, 1].map((w, i) => ({ id: `V${i}`, weight: w })) });
    const s = fromCampaign(campaign(d));
    expect(s.variants.map((v) => v.share)).toEqual([34, 33, 33]);
    expect(missingFields({ ...s, name: 'n' })).toEqual([]);
    expect(toDefinition(s)['variants']).toEqual(d.variants);
    const moved = {
      ...s,
      variants: s.variants.map((v, i) => (i === 0 ? { ...v, share: 50 } : { ...v, share: 25 })),
    };
    expect((toDefinition(moved)['variants'] as { weight: number }[]).map((v) => v.weight)).toEqual([
      50, 25, 25,
    ]);
    expect(sharesOf([2, 1])).toEqual([67, 33]);
    expect(sharesOf([0, 0])).toEqual([0, 0]);
  });
});
