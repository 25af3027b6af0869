import { describe, expect, it } from 'vitest';
import { reasonInWords, reasonTexts } from '../src/core/models/churn/reason-words.ts';

const r = (feature: string, value: number | null) => ({ feature, value, contribution: 0.4 });
const plan = {
  eventTypes: [
    { event: 'login', slug: 'login' },
    { event: 'Add To Cart', slug: 'add_to_cart' },
    { event: 'share-x', slug: 'share_x' },
  ],
  channels: [{ channel: 'Douyin Ads', slug: 'douyin_ads' }],
};
const snake = /[a-z]+_[a-z]+/;

describe('reasons in words', () => {
  it('trend features compare the last 30 days with the 30 before', () => {
    // 1 + 3 logins against 1 + 9: the smoothed count fell 60 %.
    const v = Math.log(4 / 10);
    expect(reasonInWords(r('login_trend_30d', v), 'zh-CN', plan)).toBe('登录次数比此前 30 天下降 60%');
    expect(reasonInWords(r('login_trend_30d', v), 'en', plan)).toBe(
      'Logins fell 60 % against the previous 30 days',
    );
    expect(reasonInWords(r('events_trend_30d', Math.log(2)), 'en')).toBe(
      'Activity rose 100 % against the previous 30 days',
    );
    expect(reasonInWords(r('events_trend_30d', 0), 'zh-CN')).toBe('行为次数与此前 30 天持平');
    expect(reasonInWords(r('add_to_cart_trend_30d', v), 'zh-CN', plan)).toBe('加购次数比此前 30 天下降 60%');
    expect(reasonInWords(r('share_x_trend_30d', v), 'zh-CN', plan)).toBe(
      '“share-x”事件次数比此前 30 天下降 60%',
    );
  });

  it('recency, tenure and registration in days', () => {
    expect(reasonInWords(r('days_since_last_event', 15.537), 'zh-CN')).toBe('已 16 天没有任何行为');
    expect(reasonInWords(r('days_since_last_event', 15.537), 'en')).toBe('No activity for 16 days');
    expect(reasonInWords(r('days_since_last_event', 0.2), 'en')).toBe('No activity for less than a day');
    expect(reasonInWords(r('days_since_last_order', null), 'zh-CN')).toBe('从未下单');
    expect(reasonInWords(r('days_since_last_order', 40), 'en')).toBe('No order for 40 days');
    expect(reasonInWords(r('tenure_days', 3), 'en')).toBe('First seen 3 days ago');
    expect(reasonInWords(r('days_since_register', 1), 'en')).toBe('Registered 1 day ago');
    expect(reasonInWords(r('days_since_register', 120), 'zh-CN')).toBe('注册于 120 天前');
  });

  it('counts in windows, for all events, orders and one event type', () => {
    expect(reasonInWords(r('orders_90d', 0), 'zh-CN')).toBe('近 90 天下单 0 次');
    expect(reasonInWords(r('orders_90d', 0), 'en')).toBe('No orders in the last 90 days');
    expect(reasonInWords(r('orders_90d', 1), 'en')).toBe('1 order in the last 90 days');
    expect(reasonInWords(r('events_7d', 2), 'en')).toBe('2 events in the last 7 days');
    expect(reasonInWords(r('login_30d', 3), 'zh-CN', plan)).toBe('近 30 天登录 3 次');
    expect(reasonInWords(r('login_30d', 3), 'en')).toBe('3 logins in the last 30 days');
    expect(reasonInWords(r('active_days_30d', 2), 'zh-CN')).toBe('近 30 天仅 2 天活跃');
    expect(reasonInWords(r('active_days_90d', 0), 'en')).toBe('Not active on any of the last 90 days');
    expect(reasonInWords(r('events_total', 12), 'en')).toBe('12 events in total');
    expect(reasonInWords(r('orders_total', 0), 'en')).toBe('Never ordered');
  });

  it('orders and money', () => {
    expect(reasonInWords(r('order_interval_days', 38.4), 'zh-CN')).toBe('平均每 38 天下单一次');
    expect(reasonInWords(r('order_interval_days', null), 'en')).toBe('Fewer than two orders');
    expect(reasonInWords(r('order_recency_ratio', 2.54), 'en')).toBe(
      'Time since the last order is 2.5× the usual gap between orders',
    );
    expect(reasonInWords(r('amount_sum_90d', 120.5), 'zh-CN')).toBe('近 90 天消费 120.5');
    expect(reasonInWords(r('amount_avg_365d', 45), 'en')).toBe('Average order of 45 in the last 365 days');
    expect(reasonInWords(r('amount_max_90d', null), 'zh-CN')).toBe('近 90 天没有下单');
  });

  it('order cadence against the customer’s own rhythm', () => {
    const en = (f: string, v: number | null) => reasonInWords(r(f, v), 'en');
    const zh = (f: string, v: number | null) => reasonInWords(r(f, v), 'zh-CN');
    // ln((1 + 44) / (1 + 17)): 2.5 times the median gap.
    expect(en('overdue_vs_median_log', Math.log(45 / 18))).toBe(
      'Time since the last order is 2.5× the median gap between orders',
    );
    expect(zh('overdue_vs_mean_log', Math.log(2))).toBe('距上次下单已是平均下单间隔的 2 倍');
    expect(en('overdue_vs_longest_log', Math.log(1.3))).toBe(
      'Longer than the longest gap between orders so far (1.3×)',
    );
    expect(zh('overdue_vs_longest_log', Math.log(0.8))).toBe('距上次下单已达以往最长间隔的 80%');
    expect(zh('overdue_share', 0.85)).toBe('已比此前 85% 的下单间隔都久');
    expect(en('overdue_poisson', 0.92)).toBe('At the usual pace an order was 92 % likely by now');
    expect(en('order_recency_log', Math.log1p(40))).toBe('No order for 40 days');
    expect(zh('order_count_log', Math.log1p(3))).toBe('累计下单 3 次');
    expect(en('repeat_buyer', 0)).toBe('Only one order so far');
    expect(zh('order_gap_cv', null)).toBe('下单次数太少，尚无固定节奏');
    expect(en('order_gap_slope', Math.log1p(3))).toBe('Gaps between orders grow by 3 days per order');
    expect(zh('order_value_trend', Math.log(0.6))).toBe('最近一单金额是平均每单的 60%');
    expect(en('order_value_slope', -Math.log1p(3.2))).toBe('Order value falls by 3.2 per order');
    expect(en('orders_per_30d', 0.4)).toBe('0.4 orders per 30 days on average');
  });

  it('acquisition channels by their name in the plan', () => {
    expect(reasonInWords(r('channel_douyin_ads', 1), 'zh-CN', plan)).toBe('通过“Douyin Ads”渠道获客');
    expect(reasonInWords(r('channel_douyin_ads', 0), 'en', plan)).toBe("Not acquired through 'Douyin Ads'");
  });

  it('unknown features read as words, never raw snake_case', () => {
    const texts = reasonTexts(r('order_gap_cv_365d', 1.5349));
    expect(texts.en).toBe('Order gap variability (365 days): 1.53');
    expect(texts['zh-CN']).toBe('订单间隔离散度（365 天）：1.53');
    for (const t of Object.values(reasonTexts(r('mystery_thing_x', null)))) expect(t).not.toMatch(snake);
    // A windowed name that is not a known event is not read as an event count.
    expect(reasonInWords(r('gap_mean_90d', 12), 'en')).toBe('Gap mean (90 days): 12');
  });
});
