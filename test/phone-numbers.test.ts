import { afterEach, describe, expect, it } from 'vitest';
import { formatPhone, phoneFor, toE164, type PhoneFormat } from '../src/core/channels/phone.ts';
import { fixedClock } from '../src/core/clock.ts';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import { maskPhone } from '../src/core/audience/mask.ts';
import { aliyunSignature, aliyunSmsAdapter } from '../src/delivery/providers/adapters/sms-aliyun.ts';
import { smsHttpRequest } from '../src/delivery/providers/adapters/sms-http.ts';
import { tencentSendSmsRequest } from '../src/delivery/providers/adapters/sms-tencent.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';
import { outgoingMessage } from './support/outgoing-message.ts';
import { NOW as SCENARIO_NOW, profile, seed } from './support/score-scenario.ts';
import { compileAudience } from '../src/core/audience/compiler.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/**
 * Phone numbers (issue 14, point 4): every written form becomes E.164 once, at ingestion; each
 * vendor gets its documented format; numbers stored before that still go out right.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);

describe('toE164', () => {
  it.each([
    ['13812345678', '+8613812345678'],
    ['8613812345678', '+8613812345678'],
    ['+86 138-1234-5678', '+8613812345678'],
    ['008613812345678', '+8613812345678'],
    ['+8613812345678', '+8613812345678'],
    ['(+86) 138 1234 5678', '+8613812345678'],
    ['＋８６　１３８１２３４５６７８', '+8613812345678'],
    ['0086 138.1234.5678', '+8613812345678'],
    ['010-12345678', '+861012345678'],
    ['+86 (0)755 1234 5678', '+8675512345678'],
    ['+14155550123', '+14155550123'],
    ['001 415 555 0123', '+14155550123'],
    ['00852 6123 4567', '+85261234567'],
    ['+852 6123 4567', '+85261234567'],
    ['+44 7700 900123', '+447700900123'],
    [13812345678, '+8613812345678'],
  ])('%s → %s', (raw, e164) => {
    expect(toE164(raw)).toEqual({ ok: true, value: e164 });
  });

  it.each([
    ['', /not blank/],
    ['12', /not a mainland China number/],
    ['85261234567', /not a mainland China number/],
    ['12812345678', /not a mainland China number/],
    ['+86 128 1234 5678', /not a valid China number/],
    ['+868613812345678', /not a valid China number/],
    ['+86008613812345678', /not an international number|not a valid China number/],
    ['+0123456789', /not an international number/],
    ['+1234567890123456', /not an international number/],
    ['+12345', /not an international number/],
    ['138-1234-567x', /only digits/],
    ['+86+13812345678', /only digits/],
    [true, /as text or digits/],
    [1.5, /as text or digits/],
  ])('refuses %s precisely', (raw, why) => {
    const r = toE164(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(why);
      // The reason is stored and shown: it never repeats the number.
      if (typeof raw === 'string' && raw.length > 6) expect(r.error).not.toContain(raw);
    }
  });
});

describe("each vendor's format", () => {
  const table: [string, Record<PhoneFormat, string>][] = [
    [
      '+8613812345678',
      {
        aliyun: '13812345678',
        tencent: '+8613812345678',
        sms_http: '+8613812345678',
        call_list: '+8613812345678',
      },
    ],
    [
      '+85261234567',
      {
        aliyun: '85261234567',
        tencent: '+85261234567',
        sms_http: '+85261234567',
        call_list: '+85261234567',
      },
    ],
    [
      '+14155550123',
      {
        aliyun: '14155550123',
        tencent: '+14155550123',
        sms_http: '+14155550123',
        call_list: '+14155550123',
      },
    ],
  ];
  it.each(table)('%s', (e164, formats) => {
    for (const [format, want] of Object.entries(formats)) {
      expect(formatPhone(e164, format as PhoneFormat)).toBe(want);
      expect(phoneFor(e164, format as PhoneFormat)).toEqual({ ok: true, value: want });
    }
  });

  it('masks mainland E.164 numbers in their national form for the console', () => {
    expect(maskPhone('+8613812345678')).toBe('138****5678');
    expect(maskPhone('13812345678')).toBe('138****5678');
  });
});

const sms = (phone: string | undefined): OutgoingMessage =>
  outgoingMessage(
    { channel: 'sms', text: 'Your coupon awaits', signature: '【Rekindle】' },
    { recipient: phone === undefined ? {} : { phone } },
  );

describe('request bodies from numbers stored before ingestion wrote E.164', () => {
  const tencentCfg = { smsSdkAppId: '1400000001', templateId: '449739', templateParams: ['text' as const] };
  const tencentSecrets = { secretId: 'AK2', secretKey: 'SK2' };

  it.each(['8613812345678', '008613812345678', '13812345678', '+86 138 1234 5678'])(
    'Tencent gets +8613812345678 from %s',
    (stored) => {
      const req = tencentSendSmsRequest(tencentCfg, tencentSecrets, sms(stored), NOW);
      if ('kind' in req) throw new Error(req.reason);
      expect(JSON.parse(String(req.init.body))).toMatchObject({ PhoneNumberSet: ['+8613812345678'] });
    },
  );

  it('Tencent gets an international number in E.164', () => {
    const req = tencentSendSmsRequest(tencentCfg, tencentSecrets, sms('0085261234567'), NOW);
    if ('kind' in req) throw new Error(req.reason);
    expect(JSON.parse(String(req.init.body))).toMatchObject({ PhoneNumberSet: ['+85261234567'] });
  });

  it('the generic gateway gets E.164', () => {
    const req = smsHttpRequest({ url: 'http://127.0.0.1:9/' }, { authValue: 'x' }, sms('8613812345678'));
    if ('kind' in req) throw new Error(req.reason);
    expect(JSON.parse(String(req.init.body))).toMatchObject({ to: '+8613812345678' });
  });

  it('a stored number that is no number is dead at once, its reason masked, and no vendor is called', () => {
    const req = tencentSendSmsRequest(tencentCfg, tencentSecrets, sms('1381234567899'), NOW);
    expect(req).toMatchObject({ kind: 'failed', retry: 'never', code: 'invalid_number' });
    if (!('kind' in req)) throw new Error('expected a failure');
    expect(req.reason).toContain('13812****7899');
    expect(req.reason).not.toContain('1381234567899');
  });

  it('Aliyun gets mainland numbers as 11 digits and others as country code + number, signed', async () => {
    const vendor = await startFakeVendor((r, res) => {
      const q = new URL(r.url, 'http://x').searchParams;
      const params = Object.fromEntries([...q.entries()].filter(([k]) => k !== 'Signature'));
      if (q.get('Signature') !== aliyunSignature(params, 'SK1'))
        return json(res, 400, {
          Code: 'SignatureDoesNotMatch',
          Message: 'Specified signature is not matched',
        });
      json(res, 200, { Code: 'OK', Message: 'OK', BizId: `B${vendor.requests.length}^0`, RequestId: 'r' });
    });
    const a = aliyunSmsAdapter(
      'p-ali',
      { endpoint: `${vendor.url}/`, templateCode: 'SMS_1', templateParams: { content: 'text' } },
      { accessKeyId: 'AK1', accessKeySecret: 'SK1' },
      { fetch, now: () => NOW, nonce: () => 'n' },
    );
    const never = new AbortController().signal;
    const sent: string[] = [];
    for (const stored of ['8613812345678', '008613812345678', '+85261234567', '00852 6123 4567']) {
      const o = await a.send(sms(stored), never);
      expect(o.kind).toBe('accepted');
      const r = vendor.requests[vendor.requests.length - 1]!;
      sent.push(String(new URL(r.url, vendor.url).searchParams.get('PhoneNumbers')));
    }
    expect(sent).toEqual(['13812345678', '13812345678', '85261234567', '85261234567']);
    expect(await a.send(sms('+86 12'), never)).toMatchObject({ retry: 'never', code: 'invalid_number' });
    expect(await a.send(sms(undefined), never)).toMatchObject({ retry: 'never', code: 'no_address' });
    expect(vendor.requests).toHaveLength(4);
    await vendor.close();
  });
});

describe('ingestion stores E.164', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server?.cleanup();
    server = undefined;
  });

  it('identify traits in any written form land in the warehouse as E.164; a bad one is refused by name', async () => {
    server = await startTestServer({ clock: fixedClock(NOW) });
    const forms = ['13812345678', '8613812345671', '+86 138-1234-5672', '008613812345673', '00852 6123 4567'];
    const r = await postJson(`${server.url}/v1/batch`, {
      batch: [
        ...forms.map((phone, i) => ({ type: 'identify', userId: `p${i}`, traits: { phone } })),
        { type: 'identify', userId: 'bad', traits: { phone: '+86 12345' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: 5, rejected: 1 });
    expect(r.json['errors']).toEqual([
      { index: 5, field: 'traits.phone', reason: expect.stringMatching(/^is not a valid China number/) },
    ]);
    const rows = await server.rt.warehouse.query<{ user_id: string; phone: string }>(
      `SELECT user_id, phone FROM profiles ORDER BY user_id`,
    );
    expect(rows).toEqual([
      { user_id: 'p0', phone: '+8613812345678' },
      { user_id: 'p1', phone: '+8613812345671' },
      { user_id: 'p2', phone: '+8613812345672' },
      { user_id: 'p3', phone: '+8613812345673' },
      { user_id: 'p4', phone: '+85261234567' },
    ]);
  });
});

describe('audience conditions on the phone column', () => {
  it('match a number however it was typed, in profiles stored before and after E.164', async () => {
    const warehouse = await Warehouse.open(':memory:');
    try {
      await seed(warehouse, [
        // Written before ingestion stored E.164: the digits as typed, separators removed.
        profile('old', SCENARIO_NOW, { phone: '13812340000' }),
        profile('new', SCENARIO_NOW, { phone: '+8613812341111' }),
        profile('hk', SCENARIO_NOW, { phone: '+85261234567' }),
      ]);
      const members = async (cmp: Record<string, unknown>) => {
        const node = { kind: 'attribute', attribute: 'phone', ...cmp };
        const compiled = compileAudience(node, { now: SCENARIO_NOW });
        if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
        const rows = await warehouse.query<{ user_id: string }>(compiled.value.sql, compiled.value.params);
        return rows.map((r) => r.user_id).sort();
      };
      expect(await members({ op: 'eq', value: '138-1234-0000' })).toEqual(['old']);
      expect(await members({ op: 'eq', value: '+86 138 1234 0000' })).toEqual(['old']);
      expect(await members({ op: 'eq', value: '13812341111' })).toEqual(['new']);
      expect(await members({ op: 'eq', value: '0085261234567' })).toEqual(['hk']);
      expect(await members({ op: 'in', values: ['8613812340000', '13812341111'] })).toEqual(['new', 'old']);
      expect(await members({ op: 'neq', value: '13812340000' })).toEqual(['hk', 'new']);
      expect(await members({ op: 'not_in', values: ['+8613812341111'] })).toEqual(['hk', 'old']);
    } finally {
      warehouse.close();
    }
  });
});
