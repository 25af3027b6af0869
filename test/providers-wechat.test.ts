import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWecom } from '../src/core/content/checks/wecom.ts';
import { templateFields } from '../src/core/content/fields.ts';
import type { ChannelContent } from '../src/core/content/schema.ts';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import { wechatOaAdapter } from '../src/delivery/providers/adapters/wechat-oa.ts';
import {
  classifyWechatOa,
  WECHAT_OA_FAILURES,
} from '../src/delivery/providers/adapters/wechat-oa-failures.ts';
import { cutUtf8, wecomAppAdapter, wecomAppMessage } from '../src/delivery/providers/adapters/wecom-app.ts';
import {
  classifyWecomApp,
  WECOM_APP_FAILURES,
} from '../src/delivery/providers/adapters/wecom-app-failures.ts';
import { providerKindLabel } from '../console/src/features/settings/provider-kind-labels.ts';
import { PROVIDER_KIND_NAMES } from '../src/delivery/providers/provider-kinds.ts';
import { loadMigrations, migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { startFakeWechatOa, startFakeWecom, type FakeWechat } from './support/fake-wechat.ts';
import { outgoingMessage } from './support/outgoing-message.ts';

/**
 * WeChat Official Account template messages (kind `wechat_oa`) and WeCom application messages
 * (kind `wecom`): the documented requests against fakes that check them, and every row of each
 * errcode table.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);
const never = new AbortController().signal;

const message = (
  content: ChannelContent,
  recipient: Partial<OutgoingMessage['recipient']> = {},
): OutgoingMessage =>
  outgoingMessage(content, {
    recipient: { wecomOpenId: 'oOPEN42', wecomUserId: 'zhangsan', ...recipient },
  });

const coupon: ChannelContent = {
  channel: 'wecom',
  templateId: 'TPL1',
  fields: { thing1: '满100减20', time2: '今天 24:00 前' },
  landingUrl: 'https://shop.example.com/c',
};

let db: SqlClient;
beforeAll(async () => {
  db = await openSqlClient({ pgliteDir: 'memory://' });
  await migrate(db);
});
afterAll(async () => {
  await db.close();
});

describe('wechat_oa: 微信公众号模板消息', () => {
  let vendor: FakeWechat;
  beforeAll(async () => {
    vendor = await startFakeWechatOa('wx123', 'app-secret', ['oOPEN42']);
  });
  afterAll(async () => {
    await vendor.close();
  });
  const adapter = (appSecret = 'app-secret', appId = 'wx123') =>
    wechatOaAdapter('p-wx', { appId, apiBaseUrl: vendor.url }, { appSecret }, { db, fetch, now: () => NOW });

  it('gets a token with grant_type/appid/secret, sends the template to the openid, reuses the token', async () => {
    const a = adapter();
    expect(await a.send(message(coupon), never)).toMatchObject({ kind: 'accepted' });
    expect(await a.send(message(coupon), never)).toMatchObject({ kind: 'accepted' });
    expect(vendor.tokenFetches()).toBe(1);
    const tokenCall = vendor.requests.find((r) => r.url.startsWith('/cgi-bin/token'))!;
    expect(Object.fromEntries(new URL(tokenCall.url, 'http://x').searchParams)).toEqual({
      grant_type: 'client_credential',
      appid: 'wx123',
      secret: 'app-secret',
    });
    expect(vendor.accepted[0]).toEqual({
      touser: 'oOPEN42',
      template_id: 'TPL1',
      url: 'https://shop.example.com/c',
      client_msg_id: 'c1:r1:s1:u42',
      data: { thing1: { value: '满100减20' }, time2: { value: '今天 24:00 前' } },
    });
  });

  it('a token WeChat no longer accepts (40001) is replaced once and the send retried', async () => {
    const a = adapter();
    await a.send(message(coupon), never);
    const before = vendor.tokenFetches();
    vendor.revokeToken();
    expect(await a.send(message(coupon), never)).toMatchObject({ kind: 'accepted' });
    expect(vendor.tokenFetches()).toBe(before + 1);
  });

  it('answers from the vendor: not a follower → never; no openid → never without a call; bad secret → next provider', async () => {
    const a = adapter();
    expect(await a.send(message(coupon, { wecomOpenId: 'oSTRANGER' }), never)).toMatchObject({
      retry: 'never',
      code: 'vendor_43004',
    });
    const calls = vendor.requests.length;
    // No open id: the channel's other kind (a WeCom app) may still reach the user.
    expect(await a.send(message(coupon, { wecomOpenId: undefined }), never)).toMatchObject({
      retry: 'next_provider',
      code: 'no_address',
    });
    expect(vendor.requests.length).toBe(calls);
    vendor.answerNext({ errcode: 45009, errmsg: 'reach max api daily quota limit' });
    expect(await a.send(message(coupon), never)).toMatchObject({
      retry: 'next_provider',
      code: 'vendor_45009',
    });
    expect(await adapter('wrong-secret', 'wx999').send(message(coupon), never)).toMatchObject({
      retry: 'next_provider',
      code: 'token_40013',
    });
  });
});

describe('wecom: 企业微信应用消息', () => {
  let vendor: FakeWechat;
  beforeAll(async () => {
    vendor = await startFakeWecom('ww-corp', 'corp-secret', 1000002, ['zhangsan']);
  });
  afterAll(async () => {
    await vendor.close();
  });
  const adapter = (corpSecret = 'corp-secret') =>
    wecomAppAdapter(
      'p-wecom',
      { corpId: 'ww-corp', agentId: 1000002, apiBaseUrl: vendor.url },
      { corpSecret },
      { db, fetch, now: () => NOW },
    );

  it('gets a token with corpid/corpsecret and sends a textcard with agentid to the userid', async () => {
    const a = adapter();
    expect(await a.send(message(coupon), never)).toEqual({ kind: 'accepted', providerMessageId: 'msg-1001' });
    const tokenCall = vendor.requests.find((r) => r.url.startsWith('/cgi-bin/gettoken'))!;
    expect(tokenCall.method).toBe('GET');
    expect(Object.fromEntries(new URL(tokenCall.url, 'http://x').searchParams)).toEqual({
      corpid: 'ww-corp',
      corpsecret: 'corp-secret',
    });
    expect(vendor.accepted[0]).toEqual({
      touser: 'zhangsan',
      agentid: 1000002,
      msgtype: 'textcard',
      textcard: { title: '满100减20', description: '今天 24:00 前', url: 'https://shop.example.com/c' },
      enable_duplicate_check: 1,
      duplicate_check_interval: 14400,
    });
    const plain: ChannelContent = {
      channel: 'wecom',
      templateId: 'x',
      fields: {},
      title: '好久不见',
      description: '送你一张券',
    };
    expect(await a.send(message(plain), never)).toMatchObject({ kind: 'accepted' });
    expect(vendor.accepted[1]).toMatchObject({ msgtype: 'text', text: { content: '好久不见\n送你一张券' } });
    expect(vendor.tokenFetches()).toBe(1);
  });

  it('an expired token (42001) is replaced once; a member outside the app is never reached', async () => {
    const a = adapter();
    await a.send(message(coupon), never);
    const before = vendor.tokenFetches();
    vendor.answerNext({ errcode: 42001, errmsg: 'access_token expired' });
    expect(await a.send(message(coupon), never)).toMatchObject({ kind: 'accepted' });
    expect(vendor.tokenFetches()).toBe(before + 1);
    expect(await a.send(message(coupon, { wecomUserId: 'lisi' }), never)).toMatchObject({
      retry: 'never',
      code: 'vendor_81013',
    });
    vendor.answerNext({
      errcode: 0,
      errmsg: 'ok',
      invaliduser: 'zhangsan',
      invalidparty: '',
      invalidtag: '',
      unlicenseduser: '',
      msgid: 'm-x',
      response_code: '',
    });
    expect(await a.send(message(coupon), never)).toMatchObject({ retry: 'never', code: 'no_address' });
    expect(await a.send(message(coupon, { wecomUserId: undefined }), never)).toMatchObject({
      retry: 'next_provider',
      code: 'no_address',
    });
  });

  it('a wrong corp secret fails over without sending', async () => {
    const sends = vendor.sends().length;
    expect(await adapter('nope').send(message(coupon), never)).toMatchObject({
      retry: 'next_provider',
      code: 'token_40001',
    });
    expect(vendor.sends().length).toBe(sends);
  });

  it('maps the template content to a WeCom message within its byte limits', () => {
    expect(wecomAppMessage({ channel: 'wecom', templateId: 'T', fields: { a: '只有一行' } })).toEqual({
      msgtype: 'text',
      text: { content: '只有一行' },
    });
    expect(
      wecomAppMessage({
        channel: 'wecom',
        templateId: 'T',
        fields: { a: '标题' },
        landingUrl: 'https://x.example/',
      }),
    ).toEqual({
      msgtype: 'textcard',
      textcard: { title: '标题', description: '标题', url: 'https://x.example/' },
    });
    const long = '券'.repeat(100);
    const card = wecomAppMessage({
      channel: 'wecom',
      templateId: 'T',
      fields: { a: long },
      landingUrl: 'https://x.example/',
    });
    expect(card.msgtype === 'textcard' && Buffer.byteLength(card.textcard.title)).toBeLessThanOrEqual(128);
    expect(cutUtf8('ab券', 4)).toBe('a…');
    expect(cutUtf8('ab券', 5)).toBe('ab券');
  });
});

/** Each row as the vendor documents it, written out here rather than read from the table. */
const wechatRows: [number, string][] = [
  [-1, 'same_provider'],
  [45011, 'same_provider'],
  [40003, 'never'],
  [43004, 'never'],
  [43101, 'never'],
  [40036, 'never'],
  [40037, 'never'],
  [47003, 'never'],
  [45002, 'never'],
  [47001, 'never'],
  [50002, 'never'],
  [45009, 'next_provider'],
  [48001, 'next_provider'],
  [48004, 'next_provider'],
  [40013, 'next_provider'],
  [41001, 'next_provider'],
  [41002, 'next_provider'],
  [40164, 'next_provider'],
  [61004, 'next_provider'],
];

const wecomRows: [number, string][] = [
  [-1, 'same_provider'],
  [45033, 'same_provider'],
  [40003, 'never'],
  [40031, 'never'],
  [60111, 'never'],
  [81013, 'never'],
  [82001, 'never'],
  [40008, 'never'],
  [44004, 'never'],
  [45002, 'never'],
  [40058, 'never'],
  [45009, 'next_provider'],
  [60020, 'next_provider'],
  [301002, 'next_provider'],
  [40013, 'next_provider'],
  [40056, 'next_provider'],
  [41001, 'next_provider'],
  [48002, 'next_provider'],
];

describe('wechat_oa errcode table', () => {
  it('covers every row of the table', () => {
    expect(wechatRows.map(([c]) => c).sort()).toEqual(Object.keys(WECHAT_OA_FAILURES).map(Number).sort());
  });
  it.each(wechatRows)('errcode %i → %s', (code, retry) => {
    expect(classifyWechatOa(200, JSON.stringify({ errcode: code, errmsg: 'm' }))).toMatchObject({
      kind: 'failed',
      retry,
      code: `vendor_${code}`,
    });
  });
  it.each([40001, 40014, 42001])('errcode %i → refresh the token', (code) => {
    expect(classifyWechatOa(200, JSON.stringify({ errcode: code }))).toBe('token_invalid');
  });
  it('success, an unknown code, and an unreadable answer', () => {
    expect(classifyWechatOa(200, '{"errcode":0,"errmsg":"ok","msgid":200228332}')).toEqual({
      kind: 'accepted',
      providerMessageId: '200228332',
    });
    expect(classifyWechatOa(200, '{"errcode":99999}')).toMatchObject({ retry: 'next_provider' });
    expect(classifyWechatOa(502, '<html>')).toMatchObject({ retry: 'same_provider', code: 'http_502' });
  });
});

describe('wecom errcode table', () => {
  it('covers every row of the table', () => {
    expect(wecomRows.map(([c]) => c).sort()).toEqual(Object.keys(WECOM_APP_FAILURES).map(Number).sort());
  });
  it.each(wecomRows)('errcode %i → %s', (code, retry) => {
    expect(classifyWecomApp(200, JSON.stringify({ errcode: code, errmsg: 'm' }), 'u1')).toMatchObject({
      kind: 'failed',
      retry,
      code: `vendor_${code}`,
    });
  });
  it.each([40001, 40014, 42001])('errcode %i → refresh the token', (code) => {
    expect(classifyWecomApp(200, JSON.stringify({ errcode: code }), 'u1')).toBe('token_invalid');
  });
  it('errcode 0 naming the member in invaliduser / unlicenseduser → never; another member listed → accepted', () => {
    const ok = {
      errcode: 0,
      errmsg: 'ok',
      invalidparty: '',
      invalidtag: '',
      msgid: 'm1',
      response_code: 'r',
    };
    expect(classifyWecomApp(200, JSON.stringify({ ...ok, invaliduser: 'u0|u1' }), 'u1')).toMatchObject({
      retry: 'never',
      code: 'no_address',
    });
    expect(classifyWecomApp(200, JSON.stringify({ ...ok, unlicenseduser: 'u1' }), 'u1')).toMatchObject({
      retry: 'never',
    });
    expect(classifyWecomApp(200, JSON.stringify({ ...ok, invaliduser: 'u10' }), 'u1')).toEqual({
      kind: 'accepted',
      providerMessageId: 'm1',
    });
  });
});

describe('migration 016', () => {
  it("renames the providers of kind 'wecom' (which were WeChat Official Accounts) to 'wechat_oa'", async () => {
    const old = await openSqlClient({ pgliteDir: 'memory://' });
    try {
      const all = loadMigrations();
      await migrate(
        old,
        all.filter((m) => m.version < 16),
      );
      const row = (id: string, kind: string, channel: string) =>
        old.query(
          `INSERT INTO providers (id, workspace_id, channel, kind, name, rate_per_second, config, secrets_enc, created_at, updated_at)
           VALUES ($1, 'default', $2, $3, $1, 10, '{"appId":"wx1"}', 'v1.x', now(), now())`,
          [id, channel, kind],
        );
      await row('p-wx', 'wecom', 'wecom');
      await row('p-sms', 'sms_http', 'sms');
      expect(await migrate(old, all)).toEqual(all.filter((m) => m.version >= 16).map((m) => m.version));
      expect(await old.query('SELECT id, kind, version, config FROM providers ORDER BY id')).toEqual([
        { id: 'p-sms', kind: 'sms_http', version: 1, config: { appId: 'wx1' } },
        { id: 'p-wx', kind: 'wechat_oa', version: 2, config: { appId: 'wx1' } },
      ]);
    } finally {
      await old.close();
    }
  });
});

describe('console labels', () => {
  it('names every provider kind in Chinese, the two WeChat kinds apart', () => {
    for (const kind of PROVIDER_KIND_NAMES) {
      const label = providerKindLabel(kind, 'zh-CN');
      // "Webhook" is what Chinese operators call it too.
      expect(label === 'Webhook' || /[\u4e00-\u9fff]/.test(label), `${kind}: ${label}`).toBe(true);
    }
    expect(providerKindLabel('wechat_oa', 'zh-CN')).toBe('微信公众号模板消息');
    expect(providerKindLabel('wecom', 'zh-CN')).toBe('企业微信应用消息');
  });
});

describe('wecom content', () => {
  it('a title or description stands in for fields (WeCom); both are Liquid templates', () => {
    const bare: ChannelContent = { channel: 'wecom', templateId: 'T', fields: {} };
    expect(checkWecom(bare).issues.map((i) => `${i.severity}:${i.field}:${i.code}`)).toEqual([
      'error:fields:required',
    ]);
    expect(checkWecom({ ...bare, title: '好久不见' }).issues).toEqual([]);
    expect(
      templateFields({ ...bare, title: '{{ user.city }}', description: 'x' }).map((f) => f.field),
    ).toEqual(['title', 'description']);
  });
});
