import { describe, expect, it } from 'vitest';
import { abOfferLines, offerWords } from '../console/src/features/reports/ab-offers.ts';
import { chartMeasures } from '../console/src/features/reports/stats-series.ts';
import { en, zhCN, type MessageKey } from '../console/src/lib/i18n-dict.ts';

/** The report's words for an offer test and its chart's measures, pure (issue 18). */

const zh = (k: MessageKey) => zhCN[k];
const eng = (k: MessageKey) => en[k];
const offer = (kind: 'coupon' | 'red_packet' | 'points', amount: number | null) => ({
  kind,
  costRecognition: 'issue' as const,
  amount,
});

describe('offer test in words', () => {
  it('names each amount in yuan or points, and a rule that varies by member', () => {
    expect(offerWords(zh, 'zh-CN', offer('coupon', 500))).toBe('5 元优惠券');
    expect(offerWords(zh, 'zh-CN', offer('coupon', 550))).toBe('5.5 元优惠券');
    expect(offerWords(zh, 'zh-CN', offer('red_packet', 888))).toBe('8.88 元红包');
    expect(offerWords(zh, 'zh-CN', offer('points', 2000))).toBe('2,000 积分');
    expect(offerWords(zh, 'zh-CN', offer('coupon', null))).toBe('优惠券（金额因人而异）');
    expect(offerWords(eng, 'en', offer('coupon', 500))).toBe('5 yuan coupon');
  });

  it('gives a line per variant with what it spent, and none when no variant has an offer', () => {
    const lines = abOfferLines(zh, 'zh-CN', [
      { id: 'A', offer: offer('coupon', 500), offerCostCents: 3500 },
      { id: 'B', offer: null, offerCostCents: 0 },
    ]);
    expect(lines.map((l) => l.text)).toEqual(['变体 A · 5 元优惠券 · 已花费 ¥35.00', '变体 B · 不发券']);
    expect(abOfferLines(zh, 'zh-CN', [{ id: 'A', offer: null, offerCostCents: 0 }])).toEqual([]);
    expect(abOfferLines(zh, 'zh-CN', undefined)).toEqual([]);
  });

  it('draws in-app read in place of delivered, and both for a mixed campaign', () => {
    const names = (k: Parameters<typeof chartMeasures>[0]) => chartMeasures(k).map((m) => zhCN[m.label]);
    expect(names('receipts')).toEqual(['已发送', '已送达', '已点击', '转化人数']);
    expect(names('inAppOnly')).toEqual(['已发送', '站内信已读', '已点击', '转化人数']);
    expect(names('mixed')).toEqual(['已发送', '已送达（不含站内信）', '站内信已读', '已点击', '转化人数']);
  });
});
