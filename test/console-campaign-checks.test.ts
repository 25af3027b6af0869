import { describe, expect, it } from 'vitest';
import { en, zhCN } from '../console/src/lib/dict/campaign-editor.ts';
import { checkSms } from '../console/src/features/campaigns/sms-checks.ts';
import { placeProblem, problemWords } from '../console/src/features/campaigns/field-errors.ts';
import { cronMinutes, inQuiet, quietVerdict, releaseWindow } from '../console/src/lib/quiet-hours.ts';
import {
  fromCampaign,
  missingFields,
  toDefinition,
  initialEditor,
} from '../console/src/features/campaigns/definition.ts';
import { cronWords, scheduleWords } from '../console/src/features/approvals/review-words.ts';
import type { Campaign } from '../console/src/lib/api-types.ts';

const zh = (k: string) => (zhCN as Record<string, string>)[k] ?? `?${k}`;
const enT = (k: string) => (en as Record<string, string>)[k] ?? `?${k}`;

describe('SMS checks on rendered text', () => {
  it('flags a second 【signature】 in the text, public short links and long links', () => {
    const c = checkSms('【活动】张三您好 https://t.cn/A6x 回T退订', '【Rekindle】');
    expect(c.secondSignatures).toEqual([{ text: '【活动】', index: 0 }]);
    expect(c.publicShortLinks).toEqual([{ url: 'https://t.cn/A6x', host: 't.cn', index: 9 }]);
    const long = checkSms('看 https://shop.example.com/promo/spring?utm_source=sms&x=1 回T退订', '【R】');
    expect(long.longLinks).toHaveLength(1);
    expect(long.publicShortLinks).toEqual([]);
    expect(checkSms('看 https://s.example.com/a 回T退订', '【R】')).toMatchObject({
      longLinks: [],
      secondSignatures: [],
      publicShortLinks: [],
    });
  });

  it('knows a text that still holds template code from a rendered one', () => {
    expect(checkSms('{{ name }}您好', '【R】').unrendered).toBe(true);
    expect(checkSms('{% if a %}x{% endif %}', '【R】').unrendered).toBe(true);
    expect(checkSms('张三您好', '【R】').unrendered).toBe(false);
  });

  it('finds a blocked word that only the rendered name makes (not in the template)', () => {
    expect(checkSms('{{ name }}您好', '【R】', ['博彩']).blocked).toEqual([]);
    expect(checkSms('博彩王您好', '【R】', ['博彩']).blocked).toEqual([{ word: '博彩', index: 0 }]);
  });
});

describe('server refusals in words, next to their field', () => {
  it('words LiquidJS errors with the position as a character', () => {
    expect(problemWords('line 1, column 12: output "{{ name " not closed', zh)).toBe(
      '第 12 个字符：未闭合的 {{',
    );
    expect(problemWords('line 2, column 3: tag {% if a %} not closed', zh)).toBe(
      '第 2 行第 3 个字符：标签「if」未闭合（缺少 endif）',
    );
    expect(problemWords('line 1, column 4: undefined filter: nope', zh)).toBe(
      '第 4 个字符：未知的过滤器「nope」',
    );
    expect(problemWords('expected string length greater or equal to 1', zh)).toBe('不能为空');
    expect(problemWords('something nobody mapped', zh)).toBe('不符合要求');
    expect(problemWords('line 1, column 12: output "{{ name " not closed', enT)).toBe(
      'character 12: {{ is not closed',
    );
  });

  it('puts a content path on its channel field and a variant path on the variant', () => {
    const channels = ['push', 'sms'];
    const p = placeProblem(
      { path: 'content[1].text', message: 'line 1, column 12: output "{{ name " not closed' },
      zh,
      (i) => channels[i],
      () => undefined,
    );
    expect(p).toEqual({ anchor: 'sms.text', label: '短信内容', text: '第 12 个字符：未闭合的 {{' });
    const v = placeProblem(
      { path: 'variants[1].content[0].title', message: 'expected string length greater or equal to 1' },
      zh,
      (i) => channels[i],
      (i) => (i === 1 ? { id: 'B', channelOf: () => 'push' } : undefined),
    );
    expect(v).toEqual({ anchor: 'variant:B:push.title', label: '实验组 B · 推送标题', text: '不能为空' });
    expect(
      placeProblem(
        { path: 'audienceId', message: 'Expected string length greater or equal to 1' },
        zh,
        () => undefined,
        () => undefined,
      ),
    ).toMatchObject({ anchor: 'audience', label: '人群' });
  });
});

describe('quiet hours', () => {
  const quiet = { start: '22:00', end: '08:00' };
  it('wraps midnight and spreads held messages over 08:00–10:00', () => {
    expect(inQuiet(23 * 60, quiet)).toBe(true);
    expect(inQuiet(7 * 60 + 59, quiet)).toBe(true);
    expect(inQuiet(8 * 60, quiet)).toBe(false);
    expect(inQuiet(21 * 60 + 59, quiet)).toBe(false);
    expect(releaseWindow(quiet, 120)).toEqual({ from: '08:00', to: '10:00' });
  });
  it('reads a one-off instant in the users’ zone and a cron’s hours', () => {
    // 15:30 UTC is 23:30 in Shanghai
    expect(
      quietVerdict({ atMs: Date.parse('2026-12-08T15:30:00Z'), zone: 'Asia/Shanghai' }, quiet, 120),
    ).toEqual({
      kind: 'night',
      at: '23:30',
      from: '08:00',
      to: '10:00',
    });
    expect(
      quietVerdict({ atMs: Date.parse('2026-12-08T01:00:00Z'), zone: 'Asia/Shanghai' }, quiet, 120),
    ).toEqual({
      kind: 'day',
      at: '09:00',
    });
    expect(cronMinutes('30 9,23 * * *')).toEqual([570, 1410]);
    expect(quietVerdict({ minutes: cronMinutes('30 9,23 * * *') }, quiet, 120).kind).toBe('some');
    expect(quietVerdict({ minutes: cronMinutes('0 9 * * *') }, quiet, 120).kind).toBe('day');
    expect(quietVerdict({ minutes: cronMinutes('0 * * * *') }, quiet, 120).kind).toBe('some');
    expect(quietVerdict({ minutes: [600] }, null, 120).kind).toBe('none');
  });
});

describe('editor fields', () => {
  it('says what Save misses before calling the server, shares included', () => {
    const s = initialEditor();
    expect(missingFields(s)).toEqual(['ced.missing.name', 'ced.missing.audience', 'ced.missing.push']);
    const ok = { ...s, name: 'x', audienceId: 'a', push: { ...s.push, title: 't', body: 'b' } };
    expect(missingFields(ok)).toEqual([]);
    const ab = { ...ok, ab: true, variants: ok.variants.map((v, i) => ({ ...v, share: i === 0 ? 70 : 20 })) };
    expect(missingFields(ab)).toEqual(['ced.missing.shares']);
  });

  it('sends variants with their own content, channels and share, and reads them back', () => {
    const s = initialEditor();
    const e = {
      ...s,
      name: 'ab',
      audienceId: 'aud',
      channels: ['push', 'sms'] as ('push' | 'sms')[],
      sms: { ...s.sms, text: '主 回T退订' },
      push: { ...s.push, title: 't', body: 'b' },
      ab: true,
      variants: [
        { ...s.variants[0]!, share: 30 },
        {
          ...s.variants[1]!,
          share: 70,
          channels: ['sms'] as ('push' | 'sms')[],
          own: { push: false, sms: true },
          sms: { text: 'B 回T退订', signature: '【R】' },
        },
      ],
    };
    const d = toDefinition(e);
    expect(d['variants']).toEqual([
      { id: 'A', weight: 30 },
      {
        id: 'B',
        weight: 70,
        content: [{ channel: 'sms', text: 'B 回T退订', signature: '【R】' }],
        channels: ['sms'],
      },
    ]);
    const back = fromCampaign({
      id: 'c',
      name: 'ab',
      definition: d,
      status: 'draft',
      version: 1,
    } as unknown as Campaign);
    expect(back.variants.map((v) => [v.id, v.share, v.own.sms, v.sms.text, v.channels])).toEqual([
      ['A', 30, false, '主 回T退订', []],
      ['B', 70, true, 'B 回T退订', ['sms']],
    ]);
    expect(back.ab).toBe(true);
  });
});

describe('schedule in words', () => {
  it('words common crons and triggers', () => {
    expect(cronWords('0 9 * * *', zh)).toBe('每天 09:00');
    expect(cronWords('30 20 * * 1', zh)).toBe('每周一 20:30');
    expect(cronWords('0 10 1 * *', zh)).toBe('每月 1 日 10:00');
    expect(cronWords('*/5 * * * *', zh)).toBeNull();
    expect(scheduleWords({ kind: 'triggered', event: 'cart_abandoned', delayMinutes: 30 }, zh, String)).toBe(
      '用户发生「cart_abandoned」后 30 分钟发送',
    );
  });
});
