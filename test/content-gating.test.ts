import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideGate, gateIssues, type GateIssue } from '../src/campaigns/content-gate.ts';
import type { Actor } from '../src/core/auth/roles.ts';
import { validateCampaign } from '../src/core/campaigns/validate.ts';
import { DEFAULT_CHECK_OPTIONS, DEFAULT_SMS_BLOCKED_WORDS } from '../src/core/content/index.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { profile, seed } from './support/score-scenario.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The content gate (issue 17): SMS errors — a blocked word (built-in or the workspace's), a link
 * glued to its neighbours, more segments than the campaign allows — found in the text rendered
 * for a sample recipient, block submit and approval; only an admin overrides, with a written
 * reason that is stored, shown to reviewers and audited.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30); // 11:30 in Shanghai
const LONG = '好'.repeat(140); // with 【Rekindle】 and ' 回T退订': 155 UCS-2 units, 3 segments

const definitionOf = (audienceId: string) => ({
  audienceId,
  timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
  channels: ['push', 'sms'],
  content: [
    { channel: 'push', title: '回来看看', body: '专属好礼', landingUrl: 'https://shop.example/a' },
    // The blocked word is only in the rendered text: the profile's product is 贷款.
    {
      channel: 'sms',
      text: '{{ user.traits.product }}特惠，详情https://shop.example/x 回T退订',
      signature: '【Rekindle】',
    },
  ],
  smsMaxSegments: 2,
  variants: [
    { id: 'A', weight: 1 },
    { id: 'B', weight: 1, content: [{ channel: 'sms', text: `${LONG} 回T退订`, signature: '【Rekindle】' }] },
  ],
});

const MAIN_LINK =
  "sms.text (main content): link https://shop.example/x needs a space before it ('情'): carriers glue the neighbouring text to the URL";
const MAIN_WORD = "sms.text (main content): blocked word '贷款' at 0 ('贷款')";
const VARIANT_SEGMENTS =
  "sms.text (variant 'B'): the SMS with its signature is 155 characters (UCS-2, 67 per segment): 3 segments, at most 2";

describe('the gate on rendered SMS (pure)', () => {
  const def = validateCampaign(definitionOf('aud'));
  if (!def.ok) throw new Error(JSON.stringify(def.error));
  const sms = { ...DEFAULT_CHECK_OPTIONS.sms, maxSegments: 2 };
  const sample = (product: string) => ({
    user: { user_id: 'u1', traits: { product } },
    campaign: { name: 'c' },
  });

  it('names the channel, the variant, the word and its position in the rendered text', () => {
    const issues = gateIssues(def.value, sample('贷款'), { now: NOW }, sms);
    expect(issues).toEqual([
      {
        path: 'content[1].text',
        variant: null,
        channel: 'sms',
        field: 'text',
        code: 'link_spacing',
        index: 7,
        url: 'https://shop.example/x',
        message: MAIN_LINK,
      },
      {
        path: 'content[1].text',
        variant: null,
        channel: 'sms',
        field: 'text',
        code: 'blocked_word',
        index: 0,
        word: '贷款',
        message: MAIN_WORD,
      },
      {
        path: 'variants[1].content[0].text',
        variant: 'B',
        channel: 'sms',
        field: 'text',
        code: 'sms_segments',
        segments: 3,
        maxSegments: 2,
        message: VARIANT_SEGMENTS,
      },
    ]);
    // Another recipient's rendered text has no blocked word; the `{{ … }}` literal never counts.
    expect(gateIssues(def.value, sample('运动鞋'), { now: NOW }, sms).map((i) => i.code)).toEqual([
      'link_spacing',
      'sms_segments',
    ]);
    // The campaign's limit: 3 segments are fine when it allows 3.
    expect(
      gateIssues(def.value, sample('运动鞋'), { now: NOW }, { ...sms, maxSegments: 3 }).map((i) => i.code),
    ).toEqual(['link_spacing']);
  });

  it('the built-in list covers the carriers’ categories and no entry hides another', () => {
    for (const w of ['博彩', '贷款', '套现', '发票', '代开', '中奖', '刷单'])
      expect(DEFAULT_SMS_BLOCKED_WORDS).toContain(w);
    for (const a of DEFAULT_SMS_BLOCKED_WORDS)
      for (const b of DEFAULT_SMS_BLOCKED_WORDS) if (a !== b) expect(a.includes(b)).toBe(false);
  });

  it('refuses without an override, refuses non-admins, wants a reason, and honours a covering override', () => {
    const actor = (role: Actor['role']): Actor => ({ userId: 1, workspaceId: 'default', name: 'x', role });
    const issues: GateIssue[] = [
      {
        path: 'content[0].text',
        variant: null,
        channel: 'sms',
        field: 'text',
        code: 'blocked_word',
        message: 'w',
      },
    ];
    expect(decideGate(actor('admin'), 'submit', [], null, undefined)).toEqual({ ok: true, value: null });
    const plain = decideGate(actor('operator'), 'submit', issues, null, undefined);
    expect(plain.ok ? null : plain.error).toMatchObject({
      type: 'invalid',
      errors: [{ path: 'definition.content[0].text', message: 'w' }],
    });
    const op = decideGate(actor('operator'), 'approve', issues, null, { reason: 'ok' });
    expect(op.ok ? null : op.error).toEqual({
      type: 'forbidden',
      reason:
        "only an admin may override the SMS content checks (your role is 'operator'); fix the errors instead: w",
    });
    const blank = decideGate(actor('admin'), 'submit', issues, null, { reason: '  ' });
    expect(blank.ok ? null : blank.error).toMatchObject({
      type: 'invalid',
      errors: [{ path: 'override.reason' }],
    });
    expect(decideGate(actor('admin'), 'submit', issues, null, { reason: ' 合作银行产品 ' })).toEqual({
      ok: true,
      value: { reason: '合作银行产品', issues: ['w'] },
    });
    // An override of this version covers its issues; a new issue needs a new one.
    expect(decideGate(actor('reviewer'), 'approve', issues, { issues: ['w'] }, undefined)).toEqual({
      ok: true,
      value: null,
    });
    const more = [...issues, { ...issues[0], message: 'v' } as GateIssue];
    expect(decideGate(actor('reviewer'), 'approve', more, { issues: ['w'] }, undefined).ok).toBe(false);
  });
});

describe('the gate on submit and approval, over HTTP', () => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};
  let audienceId = '';

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW });
    await seed(server.rt.warehouse, [
      profile(
        'u1',
        NOW - 100 * 86_400_000,
        { acquisition_channel: 'distribution', phone: '+8613800000001' },
        { product: '贷款' },
      ),
    ]);
    for (const [name, role] of [
      ['olga', 'operator'],
      ['rita', 'reviewer'],
      ['adam', 'admin'],
      ['vic', 'viewer'],
    ] as const) {
      const u = await createUser(server.rt.control, { name, role });
      if (!u.ok) throw new Error('user exists');
      ids[name] = u.value.id;
      tokens[name] = await issueApiToken(server.rt.control, u.value.id);
    }
    const aud = await call('olga', 'POST', '/v1/audiences', {
      name: 'Distribution',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (aud.status !== 201) throw new Error(JSON.stringify(aud.json));
    audienceId = String(aud.json['id']);
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who] ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  it('blocks submit on the rendered SMS errors; only an admin overrides, with a reason that reviewers see', async () => {
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Loans',
      definition: definitionOf(audienceId),
    });
    expect(created.status).toBe(201);
    const id = String(created.json['id']);

    const plain = await call('olga', 'POST', `/v1/campaigns/${id}/submit`, {});
    expect(plain.status).toBe(400);
    expect(plain.json['errors']).toEqual([
      { path: 'definition.content[1].text', message: MAIN_LINK },
      { path: 'definition.content[1].text', message: MAIN_WORD },
      { path: 'definition.variants[1].content[0].text', message: VARIANT_SEGMENTS },
    ]);
    expect(String(plain.json['error'])).toMatch(
      /^the campaign cannot be submitted for review: its SMS content has 3 errors/,
    );

    const byOperator = await call('olga', 'POST', `/v1/campaigns/${id}/submit`, {
      override: { reason: '我确认' },
    });
    expect(byOperator.status).toBe(403);
    expect(byOperator.json['error']).toBe(
      `only an admin may override the SMS content checks (your role is 'operator'); fix the errors instead: ${MAIN_LINK}; ${MAIN_WORD}; ${VARIANT_SEGMENTS}`,
    );
    const blank = await call('adam', 'POST', `/v1/campaigns/${id}/submit`, { override: { reason: ' ' } });
    expect(blank.status).toBe(400);
    expect(blank.json['errors']).toEqual([
      {
        path: 'override.reason',
        message: 'say why the SMS may go out despite its errors (a written reason)',
      },
    ]);
    expect((await call('olga', 'GET', `/v1/campaigns/${id}`)).json['status']).toBe('draft');

    const reason = '贷款为合作银行产品名，法务已确认；长文案为 B 组测试';
    const ok = await call('adam', 'POST', `/v1/campaigns/${id}/submit`, { override: { reason } });
    expect(ok.status).toBe(200);
    expect(ok.json['status']).toBe('pending_review');

    // Reviewers see the override: reason, who, when, what it covers.
    const gate = await call('rita', 'GET', `/v1/campaigns/${id}/content-gate`);
    expect(gate.json).toMatchObject({
      version: 1,
      userId: 'u1',
      blocked: false,
      override: {
        reason,
        by: { id: ids['adam'], name: 'adam' },
        at: new Date(NOW).toISOString(),
        issues: [MAIN_LINK, MAIN_WORD, VARIANT_SEGMENTS],
      },
    });
    expect((gate.json['issues'] as { code: string }[]).map((i) => i.code)).toEqual([
      'link_spacing',
      'blocked_word',
      'sms_segments',
    ]);
    const audit = await auditFor(server.rt.control, 'default', 'campaign', id);
    const entry = audit.find((a) => a.action === 'campaign.content_override');
    expect(entry).toMatchObject({ actorId: ids['adam'], details: { step: 'submit', version: 1, reason } });
    expect(audit.map((a) => a.action)).toEqual([
      'campaign.create',
      'campaign.content_override',
      'campaign.submit',
    ]);

    // The override covers this version's issues: the reviewer approves.
    const approved = await call('rita', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'approve',
      version: 1,
    });
    expect(approved.status).toBe(200);
    expect(approved.json['status']).toBe('scheduled');
  });

  it('workspace words (audited) block approval of a submitted campaign until an admin overrides', async () => {
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Weekend',
      definition: {
        ...definitionOf(audienceId),
        content: [
          { channel: 'push', title: '回来看看', body: '专属好礼', landingUrl: 'https://shop.example/a' },
          { channel: 'sms', text: '周末特惠 https://shop.example/x 回T退订', signature: '【Rekindle】' },
        ],
        variants: [],
      },
    });
    const id = String(created.json['id']);
    expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 })).status).toBe(200);

    expect((await call('vic', 'POST', '/v1/content/blocked-words', { word: '特惠' })).json).toEqual({
      error: "only an admin or a reviewer may change the blocked words (your role is 'viewer')",
    });
    const added = await call('rita', 'POST', '/v1/content/blocked-words', { word: ' 特惠 ' });
    expect(added.status).toBe(201);
    expect(added.json).toEqual({
      word: '特惠',
      addedBy: { id: ids['rita'], name: 'rita' },
      addedAt: new Date(NOW).toISOString(),
    });
    expect((await call('rita', 'POST', '/v1/content/blocked-words', { word: '特惠' })).status).toBe(409);
    expect((await call('rita', 'POST', '/v1/content/blocked-words', { word: '贷款' })).json).toEqual({
      error: "'贷款' is one of the built-in blocked words already",
    });
    const list = await call('olga', 'GET', '/v1/content/blocked-words');
    expect(list.json['words']).toEqual([added.json]);
    expect(list.json['defaults']).toEqual([...DEFAULT_SMS_BLOCKED_WORDS]);

    const word = "sms.text (main content): blocked word '特惠' at 2 ('特惠')";
    const refused = await call('rita', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'approve',
      version: 1,
    });
    expect(refused.status).toBe(400);
    expect(refused.json['errors']).toEqual([{ path: 'definition.content[1].text', message: word }]);
    expect(String(refused.json['error'])).toContain('cannot be approved');
    const byReviewer = await call('rita', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'approve',
      version: 1,
      override: { reason: '活动名' },
    });
    expect(byReviewer.status).toBe(403);
    const gate = await call('rita', 'GET', `/v1/campaigns/${id}/content-gate`);
    expect(gate.json).toMatchObject({ blocked: true, override: null });

    const approved = await call('adam', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'approve',
      version: 1,
      override: { reason: '“特惠”是活动名称，运营商报备已通过' },
    });
    expect(approved.status).toBe(200);
    const audit = await auditFor(server.rt.control, 'default', 'campaign', id);
    expect(audit.find((a) => a.action === 'campaign.content_override')?.details).toMatchObject({
      step: 'approve',
      reason: '“特惠”是活动名称，运营商报备已通过',
      issues: [{ code: 'blocked_word', message: word }],
    });

    const wordAudit = await auditFor(server.rt.control, 'default', 'blocked_word', '特惠');
    expect(wordAudit.map((a) => [a.action, a.actorId])).toEqual([['blocked_word.add', ids['rita']]]);
    expect(
      (await call('rita', 'DELETE', `/v1/content/blocked-words/${encodeURIComponent('贷款')}`)).status,
    ).toBe(409);
    expect(
      (await call('rita', 'DELETE', `/v1/content/blocked-words/${encodeURIComponent('特惠')}`)).status,
    ).toBe(200);
    expect(
      (await call('rita', 'DELETE', `/v1/content/blocked-words/${encodeURIComponent('特惠')}`)).status,
    ).toBe(404);
    expect(
      (await auditFor(server.rt.control, 'default', 'blocked_word', '特惠')).map((a) => a.action),
    ).toEqual(['blocked_word.add', 'blocked_word.remove']);
  });
});

describe('the console’s early SMS warnings (as the operator types)', () => {
  it('finds blocked words with their position and links glued to their neighbours', async () => {
    const { checkSms } = await import('../console/src/features/campaigns/sms-checks.ts');
    const c = checkSms('贷款秒批，详情https://a.cn/x 回T退订 https://b.cn/y。', '【R】', ['秒批', '贷款']);
    expect(c.blocked).toEqual([
      { word: '贷款', index: 0 },
      { word: '秒批', index: 2 },
    ]);
    expect(c.unspacedLinks).toEqual([
      { url: 'https://a.cn/x', index: 7 },
      { url: 'https://b.cn/y', index: 27 },
    ]);
    expect(checkSms('详情 https://a.cn/x 回T退订', '【R】', ['贷款'])).toMatchObject({
      blocked: [],
      unspacedLinks: [],
    });
  });
});
