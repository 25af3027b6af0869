import { describe, expect, it } from 'vitest';
import {
  checkContent,
  checkOptions,
  compileContent,
  countSms,
  createContentEngine,
  defaultContentEngine,
  findBlockedWords,
  findHtmlLinks,
  findTextLinks,
  htmlToText,
  personalise,
  previewContent,
  renderContent,
  rewriteHtmlLinks,
  rewriteTextLinks,
  validateContents,
  type ChannelContent,
  type ContentIssue,
  type LinkContext,
  type TemplateSample,
} from '../src/core/content/index.ts';
import { issueOffer, validateOffer } from '../src/core/offers/index.ts';

/**
 * Message content (features.md D3): the schema, rendering with real LiquidJS (scope, escaping, missing
 * variables, errors with positions, the locked-down engine), links and short links, SMS
 * counting against hand-counted messages, and each channel's checks.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30); // 11:30 in Shanghai
const engine = defaultContentEngine();

const offer = (() => {
  const o = validateOffer({
    kind: 'coupon',
    amount: { type: 'fixed', amount: 2000 },
    minSpendCents: 10_000,
    validityDays: 7,
    expectedRedemptionRate: 0.1,
    codePrefix: 'RK',
  });
  if (!o.ok) throw new Error(JSON.stringify(o.error));
  const issued = issueOffer(o.value, {}, { campaignId: 'c1', userId: 'u1', now: NOW, secret: 'test-secret' });
  if (!issued.ok) throw new Error(issued.error.message);
  return issued.value;
})();

const sample: TemplateSample = {
  user: {
    user_id: 'u1',
    city: '上海',
    balance: 88.5,
    membership: 'gold',
    register_time: new Date(Date.UTC(2024, 0, 2)),
    acquisition_channel: 'distribution',
    traits: { nickname: '<b>Tom & "Jerry"</b>', vip: true },
  },
  offer,
  campaign: { name: '双11召回' },
};

const render = <C extends ChannelContent>(content: C, s: TemplateSample = sample) => {
  const compiled = compileContent(content, engine);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return renderContent(compiled.value, s, { now: NOW });
};

const codes = (issues: readonly ContentIssue[]) => issues.map((i) => `${i.severity}:${i.field}:${i.code}`);
const check = (c: ChannelContent, input: Parameters<typeof checkOptions>[0] = {}) =>
  checkContent(c, checkOptions(input));

describe('content schema', () => {
  it('accepts one content per channel and names the exact place of each problem', () => {
    const good: unknown[] = [
      { channel: 'push', title: '{{ user.city }}', body: 'b', landingUrl: 'myapp://home' },
      { channel: 'sms', text: '你好 回T退订', signature: '【Rekindle】' },
      { channel: 'wecom', templateId: 'T1', fields: { thing1: '{{ offer.condition }}' } },
    ];
    expect(validateContents(good)).toEqual({ ok: true, value: good });

    const r = validateContents([
      { channel: 'sms', text: '你好\n{{ user.city | shout }}', signature: '【R】' },
      { channel: 'sms', text: 'again', signature: '【R】' },
      { channel: 'fax', text: 'x' },
      { channel: 'push', title: 'a', body: 'b', subtitle: 'c' },
      { channel: 'email', subject: '', html: '<p>x</p>' },
      { channel: 'wecom', templateId: 'T1', fields: { thing1: 3, '1bad': 'x' } },
      'sms',
    ]);
    expect(r).toEqual({
      ok: false,
      error: [
        { path: 'content[0].text', message: 'line 2, column 1: undefined filter: shout' },
        { path: 'content[1].channel', message: "a second content for 'sms' (content[0] is the first)" },
        {
          path: 'content[2].channel',
          message: "unknown channel 'fax' (expected one of push, in_app, email, sms, wecom, call, webhook)",
        },
        { path: 'content[3].subtitle', message: 'unknown field' },
        { path: 'content[4].subject', message: expect.stringContaining('1') },
        { path: 'content[5].fields.thing1', message: 'expected a string (a Liquid template)' },
        { path: 'content[5].fields.1bad', message: expect.stringContaining('letter') },
        { path: 'content[6]', message: 'expected an object' },
      ],
    });
  });
});

describe('rendering', () => {
  it('gives templates the user, the offer and the campaign', () => {
    const r = render({
      channel: 'sms',
      text:
        '{{ user.city }}的{{ user.membership }}会员：{{ campaign.name }}，送您{{ offer.condition }}，' +
        '券码 {{ offer.code }}，{{ offer.expires_at | date: "%m月%d日" }}前有效；余额{{ user.balance }}，' +
        '注册于{{ user.register_time | date: "%Y-%m-%d" }}，来自{{ user.acquisition_channel }}',
      signature: '【Rekindle】',
    });
    expect(r.issues).toEqual([]);
    expect(r.content.text).toBe(
      `上海的gold会员：双11召回，送您满100元减20元，券码 ${offer.code}，11月27日前有效；余额88.5，注册于2024-01-02，来自distribution`,
    );
    expect(offer.code).toMatch(/^RK[0-9A-HJKMNP-TV-Z]{12}$/);
  });

  it('escapes output in e-mail HTML (unless raw) and nowhere else', () => {
    const email = render({
      channel: 'email',
      subject: '{{ user.traits.nickname }}',
      html: '<p>{{ user.traits.nickname }}</p>{{ "<i>ok</i>" | raw }}',
    });
    expect(email.content.html).toBe('<p>&lt;b&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;</p><i>ok</i>');
    expect(email.content.subject).toBe('<b>Tom & "Jerry"</b>');
    const sms = render({ channel: 'sms', text: '{{ user.traits.nickname }}', signature: '【R】' });
    expect(sms.content.text).toBe('<b>Tom & "Jerry"</b>');
  });

  it('renders missing variables as empty and reports each once, pointing at the variable', () => {
    const r = render(
      {
        channel: 'sms',
        text:
          '亲爱的{{ user.traits.nick }}：\n您的 {{ offer.condition }} 券码 {{ offer.code }}' +
          '{% if user.traits.vip %}VIP{% endif %}{{ user.traits.title | default: "朋友" }}{{ user.traits.nick }}',
        signature: '【R】',
      },
      { user: { user_id: 'u2', city: null, traits: { title: null } }, campaign: { name: 'x' } },
    );
    expect(r.content.text).toBe('亲爱的：\n您的  券码 朋友');
    expect(r.issues).toEqual([
      {
        channel: 'sms',
        field: 'text',
        severity: 'warning',
        code: 'missing_variable',
        message: "sms.text, line 1, column 7: 'user.traits.nick' is not set; it renders as empty",
        line: 1,
        column: 7,
      },
      {
        channel: 'sms',
        field: 'text',
        severity: 'warning',
        code: 'missing_variable',
        message: "sms.text, line 2, column 7: 'offer' is not set; it renders as empty",
        line: 2,
        column: 7,
      },
    ]);
  });

  it('fails to parse with the channel, the field and the line and column', () => {
    const bad = compileContent(
      { channel: 'push', title: 'ok', body: '第一行\n第二行 {% if user.vip %}VIP' },
      engine,
    );
    expect(bad).toEqual({
      ok: false,
      error: [
        {
          channel: 'push',
          field: 'body',
          severity: 'error',
          code: 'template_syntax',
          message: 'push.body, line 2, column 5: tag {% if user.vip %} not closed',
          line: 2,
          column: 5,
        },
      ],
    });
    const filter = compileContent({ channel: 'call', script: '您好，\n\n{{ user.city | shout }}' }, engine);
    expect(filter.ok ? [] : filter.error.map((e) => [e.message, e.line, e.column])).toEqual([
      ['call.script, line 3, column 1: undefined filter: shout', 3, 1],
    ]);
  });

  it('has no file system, no prototypes and bounded work', () => {
    const files = compileContent(
      {
        channel: 'sms',
        text: "{% include 'secrets' %}{% render '/etc/passwd' %}{% layout 'x' %}",
        signature: '【R】',
      },
      engine,
    );
    expect(files.ok ? [] : files.error.map((e) => e.message)).toEqual([
      'sms.text, line 1, column 1: tag "include" not found',
      'sms.text, line 1, column 24: tag "render" not found',
      'sms.text, line 1, column 50: tag "layout" not found',
    ]);

    const proto = render({ channel: 'call', script: '{{ user.constructor }}{{ user.__proto__ }}' });
    expect(proto.content.script).toBe('');
    expect(codes(proto.issues)).toEqual([
      'warning:script:missing_variable',
      'warning:script:missing_variable',
    ]);

    const tight = createContentEngine({ limits: { renderMs: 20, outputChars: 40 } });
    const run = (script: string) => {
      const compiled = compileContent({ channel: 'call' as const, script }, tight);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
      return renderContent(compiled.value, sample, { now: NOW });
    };
    const loop = run('{% for i in (1..100000000) %}{{ i }}{% endfor %}');
    expect(loop.content.script).toBe('');
    expect(codes(loop.issues)).toEqual(['error:script:template_limit']);
    const long = run('{% for i in (1..50) %}x{% endfor %}');
    expect(long.issues).toEqual([
      {
        channel: 'call',
        field: 'script',
        severity: 'error',
        code: 'output_too_large',
        message: 'call.script renders 50 characters (at most 40)',
      },
    ]);
    const parse = createContentEngine({ limits: { parseChars: 10 } });
    const big = compileContent({ channel: 'call', script: 'x'.repeat(11) }, parse);
    expect(big.ok ? [] : codes(big.error)).toEqual(['error:script:template_limit']);
  });

  it("takes 'now' from the injected clock, in the engine's time zone", () => {
    const r = render({
      channel: 'call',
      script: '{{ "now" | date: "%Y-%m-%d %H:%M" }} {{ "today" | date: "%H" }}',
    });
    expect(r.content.script).toBe('2026-11-20 11:30 11');
    const utc = createContentEngine({ timezone: 'UTC' });
    const compiled = compileContent({ channel: 'call', script: '{{ "now" | date: "%H:%M" }}' }, utc);
    expect(compiled.ok && renderContent(compiled.value, sample, { now: NOW }).content.script).toBe('03:30');
  });

  it('leaves the unsubscribe placeholder for delivery and shows the offer text in English on request', () => {
    const compiled = compileContent(
      {
        channel: 'email',
        subject: '{{ offer.condition }}',
        html: '<a href="{{ unsubscribe_url }}">退订</a>',
      },
      engine,
    );
    if (!compiled.ok) throw new Error('does not compile');
    const r = renderContent(compiled.value, sample, { now: NOW, locale: 'en' });
    expect(r.content).toEqual({
      channel: 'email',
      subject: '¥20 off orders of ¥100 or more',
      html: '<a href="{{unsubscribe_url}}">退订</a>',
    });
  });
});

describe('links', () => {
  it('finds bare URLs, ending at anything a URL cannot hold and dropping sentence punctuation', () => {
    expect(findTextLinks('见 https://a.cn/x?y=1&z=(2) 与 http://b.com/p. 和 https://c.cn/领取')).toEqual([
      { url: 'https://a.cn/x?y=1&z=(2)', start: 2, end: 26, placeholder: false },
      { url: 'http://b.com/p', start: 29, end: 43, placeholder: false },
      { url: 'https://c.cn/', start: 47, end: 60, placeholder: false },
    ]);
    expect(findTextLinks('退订 https://a.com/u?t={{ token }} ok')).toEqual([
      { url: 'https://a.com/u?t={{ token }}', start: 3, end: 32, placeholder: true },
    ]);
  });

  it('rewrites each link through the injected function and leaves placeholders alone', () => {
    const seen: LinkContext[] = [];
    const shorten = (url: string, ctx: LinkContext) => {
      seen.push(ctx);
      return `https://rk.example/${ctx.field}/${ctx.index}?to=${url.length}`;
    };
    const r = rewriteTextLinks(
      '看 https://a.com/u?t={{unsubscribe_url}} 和 https://shop.example/item/42 吧',
      shorten,
      'sms',
      'text',
    );
    expect(r.output).toBe('看 https://a.com/u?t={{unsubscribe_url}} 和 https://rk.example/text/1?to=28 吧');
    expect(r.links).toEqual([
      {
        channel: 'sms',
        field: 'text',
        index: 1,
        url: 'https://shop.example/item/42',
        rewritten: 'https://rk.example/text/1?to=28',
      },
    ]);
    expect(seen).toEqual([{ channel: 'sms', field: 'text', index: 1 }]);
  });

  it('rewrites HTML hrefs, decoding and re-encoding entities, and nothing else', () => {
    const html =
      '<a href="https://a.com/?x=1&amp;y=2">A</a> <a href=\'mailto:x@y.cn\'>m</a> ' +
      '<a href="{{unsubscribe_url}}">u</a> <img src="https://img.example/1.png"> https://bare.example/';
    expect(findHtmlLinks(html).map((l) => l.url)).toEqual(['https://a.com/?x=1&y=2']);
    const r = rewriteHtmlLinks(html, (url) => `https://s.rk/1?u=${url.length}&v="x"`, 'email', 'html');
    expect(r.output).toBe(
      html.replace('https://a.com/?x=1&amp;y=2', 'https://s.rk/1?u=22&amp;v=&quot;x&quot;'),
    );
    expect(r.links).toHaveLength(1);
  });
});

describe('SMS counting (signature + text)', () => {
  const a = (n: number) => 'a'.repeat(n);
  const zh = (n: number) => '中'.repeat(n);

  it('counts GSM-7 in septets, extension characters as two, 160 single / 153 per part', () => {
    expect(countSms('Hello world')).toEqual({
      encoding: 'GSM-7',
      characters: 11,
      units: 11,
      segments: 1,
      perSegment: 160,
      remaining: 149,
    });
    // P r i c e : ␣ 5 ␣ n o w = 12 basic, € { } = 3 × 2
    expect(countSms('Price: 5€ {now}')).toMatchObject({ encoding: 'GSM-7', characters: 15, units: 18 });
    expect(countSms(a(160))).toMatchObject({ units: 160, segments: 1, remaining: 0 });
    expect(countSms(a(161))).toMatchObject({ units: 161, segments: 2, perSegment: 153, remaining: 145 });
    expect(countSms(a(159) + '€')).toMatchObject({ units: 161, segments: 2 });
    expect(countSms(a(158) + '€')).toMatchObject({ units: 160, segments: 1 });
    // 306 septets would fit two parts of 153, but the € cannot straddle them.
    expect(countSms(a(152) + '€' + a(152))).toMatchObject({ units: 306, segments: 3, remaining: 152 });
    expect(countSms(a(153) + a(153))).toMatchObject({ units: 306, segments: 2, remaining: 0 });
    expect(countSms('')).toMatchObject({ units: 0, segments: 0 });
  });

  it('counts UCS-2 in UTF-16 units, 70 single / 67 per part, for Chinese, mixed text and emoji', () => {
    expect(countSms('【Rekindle】你好')).toEqual({
      encoding: 'UCS-2',
      characters: 12,
      units: 12,
      segments: 1,
      perSegment: 70,
      remaining: 58,
    });
    expect(countSms(zh(70))).toMatchObject({ segments: 1, remaining: 0 });
    expect(countSms(zh(71))).toMatchObject({ segments: 2, perSegment: 67, remaining: 63 });
    expect(countSms(zh(134))).toMatchObject({ segments: 2, remaining: 0 });
    expect(countSms(zh(135))).toMatchObject({ segments: 3 });
    // one non-GSM character (ç is not in GSM-7; Ç is) turns 100 letters into 101 UCS-2 units
    expect(countSms(a(100) + 'ç')).toMatchObject({ encoding: 'UCS-2', units: 101, segments: 2 });
    expect(countSms(a(100) + 'Ç')).toMatchObject({ encoding: 'GSM-7', units: 101, segments: 1 });
    expect(countSms('Hi 你好')).toMatchObject({ encoding: 'UCS-2', characters: 5, units: 5 });
    expect(countSms('😀')).toMatchObject({ encoding: 'UCS-2', characters: 1, units: 2 });
    // a surrogate pair never straddles two parts: 66 + (2) + 66 = 134 units in three parts
    expect(countSms(zh(66) + '😀' + zh(66))).toMatchObject({ units: 134, segments: 3 });
  });

  it('counts the signature, as Chinese vendors do, at the 70-character boundary', () => {
    const sms = (text: string): ChannelContent => ({ channel: 'sms', text, signature: '【Rekindle】' });
    // 【Rekindle】 10 + 55 + ' 回T退订' 5 = 70
    expect(check(sms(zh(55) + ' 回T退订')).sms).toMatchObject({ units: 70, segments: 1 });
    expect(check(sms(zh(56) + ' 回T退订')).sms).toMatchObject({ units: 71, segments: 2 });
    const over = check(sms(zh(56) + ' 回T退订'), { sms: { maxSegments: 1 } });
    expect(over.issues).toEqual([
      {
        channel: 'sms',
        field: 'text',
        severity: 'error',
        code: 'sms_segments',
        message: 'the SMS with its signature is 71 characters (UCS-2, 67 per segment): 2 segments, at most 1',
      },
    ]);
    // an English signature keeps an English message in GSM-7; its brackets are extension characters
    expect(check({ channel: 'sms', text: a(148), signature: '[Rekindle]' }).sms).toMatchObject({
      encoding: 'GSM-7',
      units: 160,
      segments: 1,
    });
  });
});

describe('SMS checks', () => {
  const sms = (text: string, signature = '【Rekindle】'): ChannelContent => ({
    channel: 'sms',
    text,
    signature,
  });

  it('wants a space or a line edge on both sides of every link', () => {
    expect(check(sms('点击 https://a.cn/x 领取 回T退订')).issues).toEqual([]);
    expect(check(sms('https://a.cn/x\n回T退订')).issues).toEqual([]);
    expect(check(sms('点击https://a.cn/x领取 回T退订')).issues).toEqual([
      {
        channel: 'sms',
        field: 'text',
        severity: 'error',
        code: 'link_spacing',
        message:
          "link https://a.cn/x needs a space before it ('击') and after it ('领'): carriers glue the neighbouring text to the URL",
        index: 2,
        subject: 'https://a.cn/x',
      },
    ]);
    expect(check(sms('打开 https://a.cn/x。回T退订')).issues.map((i) => [i.code, i.index])).toEqual([
      ['link_spacing', 3],
    ]);
    expect(check(sms('Open https://a.com/x. Reply TD to unsubscribe')).issues.map((i) => i.message)).toEqual([
      "link https://a.com/x needs a space after it ('.'): carriers glue the neighbouring text to the URL",
    ]);
  });

  it('finds every blocked word, ignoring case, with its index', () => {
    expect(findBlockedWords('免费领取FREE iPhone，free!', ['free', '领取', '  '])).toEqual([
      { word: '领取', found: '领取', index: 2 },
      { word: 'free', found: 'FREE', index: 4 },
      { word: 'free', found: 'free', index: 16 },
    ]);
    const r = check(sms('免费领取FREE iPhone，free! 回T退订'), { sms: { blockedWords: ['Free', '领取'] } });
    expect(r.issues.map((i) => [i.code, i.index, i.message])).toEqual([
      ['blocked_word', 2, "blocked word '领取' at 2 ('领取')"],
      ['blocked_word', 4, "blocked word 'Free' at 4 ('FREE')"],
      ['blocked_word', 16, "blocked word 'Free' at 16 ('free')"],
    ]);
  });

  it('asks marketing SMS for an opt-out hint, and wants a bracketed signature', () => {
    expect(codes(check(sms('周末来店里逛逛')).issues)).toEqual(['warning:text:opt_out_missing']);
    expect(check(sms('周末来店里逛逛，回 T 退订')).issues).toEqual([]);
    expect(check(sms('Come back! Reply TD to unsubscribe', '[Shop]')).issues).toEqual([]);
    expect(check(sms('您的订单已发货'), { messageClass: 'transactional' }).issues).toEqual([]);
    expect(codes(check(sms('x 回T退订', '  ')).issues)).toEqual(['error:signature:signature_missing']);
    expect(codes(check(sms('x 回T退订', 'Rekindle')).issues)).toEqual([
      'error:signature:signature_unbracketed',
    ]);
    expect(codes(check(sms('x 回T退订', '【R】')).issues)).toEqual(['warning:signature:signature_length']);
    expect(codes(check(sms('   ')).issues)).toEqual(['error:text:required', 'warning:text:opt_out_missing']);
  });
});

describe('push, in-app, e-mail, WeCom, webhook and call checks', () => {
  it('push: title and body present and short enough, https or an app deep link', () => {
    const push = (over: Partial<Extract<ChannelContent, { channel: 'push' }>>): ChannelContent => ({
      channel: 'push',
      title: '回来看看',
      body: '你的券快过期了',
      ...over,
    });
    expect(check(push({ landingUrl: 'myapp://coupon/1' })).issues).toEqual([]);
    expect(check(push({ landingUrl: 'https://shop.example/c' })).issues).toEqual([]);
    expect(codes(check(push({ title: '字'.repeat(41), body: ' ' })).issues)).toEqual([
      'error:title:too_long',
      'error:body:required',
    ]);
    expect(check(push({ title: '字'.repeat(41) }), { push: { titleMaxChars: 41 } }).issues).toEqual([]);
    expect(check(push({ landingUrl: 'http://shop.example/c' })).issues.map((i) => i.message)).toEqual([
      "push.landingUrl must use https, not http ('http://shop.example/c')",
    ]);
    expect(codes(check(push({ landingUrl: 'javascript:alert(1)' })).issues)).toEqual([
      'error:landingUrl:invalid_url',
    ]);
    expect(codes(check(push({ landingUrl: 'shop.example/c' })).issues)).toEqual([
      'error:landingUrl:invalid_url',
    ]);
    expect(
      check(push({ landingUrl: 'other://x' }), { push: { appSchemes: ['myapp'] } }).issues.map(
        (i) => i.message,
      ),
    ).toEqual(["push.landingUrl uses the app scheme 'other:', which is not one of myapp"]);
    expect(
      codes(
        check({ channel: 'in_app', title: 't', body: 'b', imageUrl: 'myapp://img', landingUrl: 'myapp://x' })
          .issues,
      ),
    ).toEqual(['error:imageUrl:invalid_url']);
  });

  it('e-mail: subject and HTML present, an unsubscribe link in marketing mail', () => {
    const email = (html: string, text?: string): ChannelContent => ({
      channel: 'email',
      subject: '好久不见',
      html,
      ...(text === undefined ? {} : { text }),
    });
    const unsub = '<a href="{{unsubscribe_url}}">退订</a>';
    expect(check(email(`<p>hi</p>${unsub}`)).issues).toEqual([]);
    expect(codes(check(email('<p>hi</p>')).issues)).toEqual(['error:html:unsubscribe_missing']);
    expect(check(email('<p>hi</p>'), { messageClass: 'transactional' }).issues).toEqual([]);
    expect(codes(check(email(`<p>hi</p>${unsub}`, 'hi')).issues)).toEqual([
      'warning:text:unsubscribe_missing',
    ]);
  });

  it('e-mail: the text part is made from the HTML when missing', () => {
    expect(
      htmlToText(
        '<html><head><style>p{color:red}</style></head><body><h1>你好 上海</h1>' +
          '<p>点击<a href="https://shop.example/a?x=1&amp;y=2">领取</a>&nbsp;&yen;20</p>' +
          '<ul><li>一</li><li>二</li></ul><p><a href="{{unsubscribe_url}}">退订</a></p></body></html>',
      ),
    ).toBe(
      '你好 上海\n\n点击领取 (https://shop.example/a?x=1&y=2) ¥20\n\n- 一\n- 二\n\n退订 ({{unsubscribe_url}})',
    );
  });

  it('WeCom: a template id and fields; webhook: a JSON body and no url of its own; call: a script', () => {
    expect(codes(check({ channel: 'wecom', templateId: 'T', fields: {} }).issues)).toEqual([
      'error:fields:required',
    ]);
    expect(
      codes(
        check({
          channel: 'wecom',
          templateId: 'T',
          fields: { thing1: ' ', thing2: 'x' },
          landingUrl: 'myapp://x',
        }).issues,
      ),
    ).toEqual(['warning:fields.thing1:empty_field', 'error:landingUrl:invalid_url']);

    // The endpoint is the webhook provider's (admin-configured): a content may not name one.
    const hook = (body = '{"a": 1}'): ChannelContent => ({ channel: 'webhook', body });
    expect(check(hook()).issues).toEqual([]);
    for (const url of [
      'https://hooks.example/x',
      'http://127.0.0.1/x',
      'https://evil.example/{{ user.phone }}',
    ])
      expect(codes(check({ channel: 'webhook', url, body: '{}' }).issues)).toEqual([
        'error:url:url_not_allowed',
      ]);
    const refused = validateContents([{ channel: 'webhook', url: 'https://evil.example/c', body: '{}' }]);
    expect(refused.ok ? [] : refused.error.map((e) => e.path)).toEqual(['content[0].url']);
    const broken = check(hook('{"a": 1,}')).issues;
    expect(broken).toMatchObject([{ field: 'body', code: 'invalid_json', index: 8 }]);
    expect(codes(check({ channel: 'call', script: '  ' }).issues)).toEqual(['error:script:required']);
  });
});

describe('preview', () => {
  const contents: ChannelContent[] = [
    {
      channel: 'sms',
      text: '{{ user.city }}的朋友，送您{{ offer.condition }}，点击 https://shop.example/c?code={{ offer.code }} 领取，回T退订',
      signature: '【Rekindle】',
    },
    {
      channel: 'push',
      title: '{{ offer.condition }}',
      body: '{{ campaign.name }}',
      landingUrl: 'myapp://coupon',
    },
    {
      channel: 'email',
      subject: '{{ user.city }}，好久不见',
      html: '<p>Hi {{ user.traits.nickname }}</p><a href="https://shop.example/e">去看看</a> <a href="{{ unsubscribe_url }}">退订</a>',
    },
    {
      channel: 'webhook',
      body: '{"user": {{ user.user_id | json }}, "city": {{ user.city | json }}, "code": "{{ offer.code }}"}',
    },
    {
      channel: 'wecom',
      templateId: 'T1',
      fields: { thing1: '{{ offer.condition }}', time2: '{{ user.traits.last }}' },
    },
  ];
  const shortLink = (url: string, ctx: LinkContext) =>
    `https://rk.example/${ctx.channel}${ctx.index}#${url.length}`;

  it('renders each channel for a sample user, rewrites links, counts the SMS and lists every issue', () => {
    const p = previewContent(contents, sample, { now: NOW, shortLink });
    const [sms, push, email, webhook, wecom] = p.channels;
    expect(sms?.rendered).toEqual({
      channel: 'sms',
      text: '上海的朋友，送您满100元减20元，点击 https://rk.example/sms0#42 领取，回T退订',
      signature: '【Rekindle】',
    });
    // 【Rekindle】 10 + 上海的朋友，送您 8 + 满100元减20元 9 + ，点击␣ 4 + the short link 26 + ␣领取，回T退订 8
    expect(sms?.sms).toEqual({
      encoding: 'UCS-2',
      characters: 65,
      units: 65,
      segments: 1,
      perSegment: 70,
      remaining: 5,
    });
    expect(sms?.links).toEqual([
      {
        channel: 'sms',
        field: 'text',
        index: 0,
        url: `https://shop.example/c?code=${offer.code}`,
        rewritten: 'https://rk.example/sms0#42',
      },
    ]);
    expect(push?.rendered).toMatchObject({
      title: '满100元减20元',
      body: '双11召回',
      landingUrl: 'myapp://coupon',
    });
    expect(email?.rendered).toEqual({
      channel: 'email',
      subject: '上海，好久不见',
      html: '<p>Hi &lt;b&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;</p><a href="https://rk.example/email0#22">去看看</a> <a href="{{unsubscribe_url}}">退订</a>',
      text: 'Hi <b>Tom & "Jerry"</b>\n去看看 (https://rk.example/email0#22) 退订 ({{unsubscribe_url}})',
    });
    expect(JSON.parse((webhook?.rendered as { body: string }).body)).toEqual({
      user: 'u1',
      city: '上海',
      code: offer.code,
    });
    expect(wecom?.rendered).toMatchObject({ fields: { thing1: '满100元减20元', time2: '' } });
    expect(codes(p.issues)).toEqual([
      'warning:fields.time2:missing_variable',
      'warning:fields.time2:empty_field',
    ]);
    expect(p.ok).toBe(true);
  });

  it('reports templates that do not parse and the checks that fail, and is then not ok', () => {
    const p = previewContent(
      [
        { channel: 'sms', text: '点击https://a.cn/x {{ user.city | nope }}', signature: '【R】' },
        { channel: 'push', title: 'x'.repeat(50), body: '{{ user.city }}', landingUrl: 'http://a.cn' },
      ],
      sample,
      { now: NOW, sms: { blockedWords: ['点击'] } },
    );
    expect(p.channels[0]?.rendered).toBeNull();
    expect(codes(p.issues)).toEqual([
      'error:text:template_syntax',
      'error:title:too_long',
      'error:landingUrl:insecure_url',
    ]);
    expect(p.ok).toBe(false);
  });

  it('personalises per user without checks, for the delivery path', () => {
    const compiled = compileContent(contents[0] as ChannelContent, engine);
    if (!compiled.ok) throw new Error('does not compile');
    const other = personalise(
      compiled.value,
      { ...sample, user: { user_id: 'u9', city: '杭州' } },
      { now: NOW },
    );
    expect(other.content).toMatchObject({ text: expect.stringContaining('杭州的朋友') });
    expect(other.links).toEqual([]);
  });
});
