/**
 * A churn reason (a feature, its value at scoring time, its contribution) as one sentence a
 * growth team can read, in zh-CN or en: "登录次数比此前 30 天下降 60%" rather than
 * `login_trend_30d=-0.9163`. Feature names are those of the warehouse feature plan
 * (src/storage/warehouse/churn-features.ts) and of the transactions file path; a name this
 * module does not know still reads as words (never raw snake_case).
 */

export type ReasonLocale = 'zh-CN' | 'en';

export interface ReasonInput {
  readonly feature: string;
  /** The feature's value; null (or NaN) when it was missing. */
  readonly value: number | null;
  readonly contribution: number;
}

/**
 * What the plan knows about its feature names: the event type behind a slug and the channel
 * behind a one-hot. Structurally the stored `FeaturePlanSpec`, so a stored model's spec can be
 * passed as it is.
 */
export interface ReasonVocabulary {
  readonly eventTypes?: readonly { readonly event: string; readonly slug: string }[];
  readonly channels?: readonly { readonly channel: string; readonly slug: string }[];
}

type Words = { zh: string; en: string };

/** Common event names; others are quoted as they are. `en` is a plural noun. */
const EVENT_WORDS: Readonly<Record<string, Words>> = {
  login: { zh: '登录', en: 'logins' },
  log_in: { zh: '登录', en: 'logins' },
  signin: { zh: '登录', en: 'logins' },
  sign_in: { zh: '登录', en: 'logins' },
  app_open: { zh: '打开应用', en: 'app opens' },
  open_app: { zh: '打开应用', en: 'app opens' },
  session_start: { zh: '会话', en: 'sessions' },
  session: { zh: '会话', en: 'sessions' },
  page_view: { zh: '浏览', en: 'page views' },
  pageview: { zh: '浏览', en: 'page views' },
  page: { zh: '浏览', en: 'page views' },
  screen: { zh: '浏览', en: 'screen views' },
  view: { zh: '浏览', en: 'views' },
  view_item: { zh: '商品浏览', en: 'product views' },
  product_view: { zh: '商品浏览', en: 'product views' },
  add_to_cart: { zh: '加购', en: 'add-to-carts' },
  addtocart: { zh: '加购', en: 'add-to-carts' },
  cart: { zh: '加购', en: 'add-to-carts' },
  checkout: { zh: '结算', en: 'checkouts' },
  order: { zh: '下单', en: 'orders' },
  order_completed: { zh: '下单', en: 'orders' },
  purchase: { zh: '购买', en: 'purchases' },
  pay: { zh: '支付', en: 'payments' },
  payment: { zh: '支付', en: 'payments' },
  recharge: { zh: '充值', en: 'top-ups' },
  deposit: { zh: '充值', en: 'deposits' },
  search: { zh: '搜索', en: 'searches' },
  share: { zh: '分享', en: 'shares' },
  click: { zh: '点击', en: 'clicks' },
  signup: { zh: '注册', en: 'sign-ups' },
  sign_up: { zh: '注册', en: 'sign-ups' },
  register: { zh: '注册', en: 'sign-ups' },
  play: { zh: '游玩', en: 'plays' },
  game_start: { zh: '开局', en: 'games started' },
  comment: { zh: '评论', en: 'comments' },
  like: { zh: '点赞', en: 'likes' },
  message: { zh: '消息', en: 'messages' },
};

/** Words of feature-name pieces, for names this module has no sentence for. */
const TOKEN_WORDS: Readonly<Record<string, Words>> = {
  days: { zh: '天数', en: 'days' },
  since: { zh: '距', en: 'since' },
  last: { zh: '最近', en: 'last' },
  first: { zh: '首次', en: 'first' },
  event: { zh: '行为', en: 'event' },
  events: { zh: '行为', en: 'events' },
  order: { zh: '订单', en: 'order' },
  orders: { zh: '订单', en: 'orders' },
  amount: { zh: '金额', en: 'amount' },
  avg: { zh: '平均', en: 'average' },
  mean: { zh: '平均', en: 'mean' },
  max: { zh: '最大', en: 'largest' },
  min: { zh: '最小', en: 'smallest' },
  sum: { zh: '合计', en: 'total' },
  total: { zh: '累计', en: 'total' },
  std: { zh: '标准差', en: 'spread' },
  cv: { zh: '离散度', en: 'variability' },
  interval: { zh: '间隔', en: 'interval' },
  gap: { zh: '间隔', en: 'gap' },
  gaps: { zh: '间隔', en: 'gaps' },
  ratio: { zh: '比值', en: 'ratio' },
  trend: { zh: '趋势', en: 'trend' },
  recency: { zh: '近度', en: 'recency' },
  tenure: { zh: '用户年龄', en: 'tenure' },
  active: { zh: '活跃', en: 'active' },
  count: { zh: '次数', en: 'count' },
  per: { zh: '每', en: 'per' },
  cadence: { zh: '节奏', en: 'cadence' },
  expected: { zh: '预期', en: 'expected' },
  spend: { zh: '消费', en: 'spend' },
  refund: { zh: '退款', en: 'refund' },
  refunds: { zh: '退款', en: 'refunds' },
  share: { zh: '占比', en: 'share' },
};

const isMissing = (v: number | null): v is null => v === null || !Number.isFinite(v);

/** A count as a whole number (features are counts; a stray fraction would read as noise). */
const int = (v: number): string => String(Math.round(v));

/** Up to `digits` decimals, trailing zeros dropped. */
const num = (v: number, digits = 2): string => {
  const s = v.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};

const days = (v: number, locale: ReasonLocale): string => {
  if (v < 1) return locale === 'en' ? 'less than a day' : '不到 1 天';
  const d = Math.round(v);
  return locale === 'en' ? `${d} day${d === 1 ? '' : 's'}` : `${d} 天`;
};

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const eventWords = (event: string, locale: ReasonLocale): string => {
  const known = EVENT_WORDS[event.toLowerCase().replace(/[^a-z0-9]+/g, '_')];
  if (known) return locale === 'en' ? known.en : known.zh;
  return locale === 'en' ? `'${event}' events` : `“${event}”事件`;
};

/**
 * A trend feature is ln((1 + last 30 days) / (1 + the 30 days before)); exp − 1 is the change
 * of the (smoothed) count between the two windows.
 */
const trendSentence = (what: string, v: number | null, locale: ReasonLocale): string => {
  if (isMissing(v)) return locale === 'en' ? `${capitalise(what)}: no trend known` : `${what}趋势未知`;
  const pct = Math.round((Math.exp(v) - 1) * 100);
  if (pct === 0) {
    return locale === 'en'
      ? `${capitalise(what)} flat against the previous 30 days`
      : `${what}次数与此前 30 天持平`;
  }
  const size = Math.abs(pct);
  if (locale === 'en') {
    return `${capitalise(what)} ${pct < 0 ? 'fell' : 'rose'} ${size} % against the previous 30 days`;
  }
  return `${what}次数比此前 30 天${pct < 0 ? '下降' : '上升'} ${size}%`;
};

const countSentence = (what: Words, windowDays: number, v: number | null, locale: ReasonLocale): string => {
  const n = isMissing(v) ? 0 : Math.round(v);
  if (locale === 'en') {
    return n === 0
      ? `No ${what.en} in the last ${windowDays} days`
      : `${n} ${n === 1 ? singular(what.en) : what.en} in the last ${windowDays} days`;
  }
  return `近 ${windowDays} 天${what.zh} ${n} 次`;
};

const singular = (plural: string): string =>
  plural.endsWith('ies')
    ? `${plural.slice(0, -3)}y`
    : plural.endsWith('ches') || plural.endsWith('shes')
      ? plural.slice(0, -2)
      : plural.endsWith('s')
        ? plural.slice(0, -1)
        : plural;

const amountSentence = (
  kind: 'sum' | 'avg' | 'max',
  windowDays: number,
  v: number | null,
  locale: ReasonLocale,
): string => {
  if (isMissing(v))
    return locale === 'en' ? `No orders in the last ${windowDays} days` : `近 ${windowDays} 天没有下单`;
  const a = num(v);
  if (locale === 'en') {
    if (kind === 'sum') return `Spent ${a} in the last ${windowDays} days`;
    if (kind === 'avg') return `Average order of ${a} in the last ${windowDays} days`;
    return `Largest order of ${a} in the last ${windowDays} days`;
  }
  if (kind === 'sum') return `近 ${windowDays} 天消费 ${a}`;
  if (kind === 'avg') return `近 ${windowDays} 天平均每单 ${a}`;
  return `近 ${windowDays} 天最大一单 ${a}`;
};

/** Words for a name with no sentence of its own: its pieces translated where known, then the value. */
const fallback = (feature: string, v: number | null, locale: ReasonLocale): string => {
  const pieces = feature.split(/[_\s]+/).filter((p) => p !== '');
  const value = isMissing(v) ? null : num(v);
  if (locale === 'en') {
    const words = pieces.map((p) => {
      const w = /^(\d+)d$/.exec(p);
      return w ? `(${w[1]} days)` : (TOKEN_WORDS[p]?.en ?? p);
    });
    const label = capitalise(words.join(' '));
    return value === null ? `${label}: unknown` : `${label}: ${value}`;
  }
  const words = pieces.map((p) => {
    const w = /^(\d+)d$/.exec(p);
    return w ? `（${w[1]} 天）` : (TOKEN_WORDS[p]?.zh ?? p);
  });
  // Pieces left in Latin letters keep a space between them; Chinese words join without one.
  const label = words.reduce(
    (a, w) => (/[a-z0-9)]$/i.test(a) && /^[a-z0-9(]/i.test(w) ? `${a} ${w}` : a + w),
    '',
  );
  return value === null ? `${label}：未知` : `${label}：${value}`;
};

/** Undoes ln(1 + x) (the log features of counts, days and money). */
const unlog = (v: number): number => Math.expm1(v);
/** A signed slope stored as sign · ln(1 + |slope|). */
const unslope = (v: number): number => Math.sign(v) * Math.expm1(Math.abs(v));
const pct = (share: number): string => String(Math.round(share * 100));

/**
 * The order-cadence features (each customer's own rhythm): counts, days and money kept as
 * ln(1 + x), ratios as ln((1 + a) / (1 + b)), slopes as sign · ln(1 + |slope|).
 */
const cadenceSentence = (f: string, v: number | null, locale: ReasonLocale): string | undefined => {
  const en = locale === 'en';
  const never = en ? 'Never ordered' : '从未下单';
  const fewer = en ? 'Too few orders to know a rhythm' : '下单次数太少，尚无固定节奏';
  switch (f) {
    case 'order_count':
      return reasonInWords({ feature: 'orders_total', value: v, contribution: 0 }, locale);
    case 'order_count_log':
      return reasonInWords(
        { feature: 'orders_total', value: v === null ? null : unlog(v), contribution: 0 },
        locale,
      );
    case 'repeat_buyer':
      if (v !== null && v >= 0.5) return en ? 'Repeat buyer (two orders or more)' : '回头客（下单两次以上）';
      return en ? 'Only one order so far' : '至今只下过一单';
    case 'order_recency_log':
      return reasonInWords(
        { feature: 'days_since_last_order', value: v === null ? null : unlog(v), contribution: 0 },
        locale,
      );
    case 'order_age_log':
      if (v === null) return never;
      return en ? `First order ${days(unlog(v), locale)} ago` : `首单在 ${days(unlog(v), locale)}前`;
    case 'orders_per_30d':
      if (v === null) return never;
      return en ? `${num(v, 1)} orders per 30 days on average` : `平均每 30 天下单 ${num(v, 1)} 次`;
    case 'order_gap_cv':
      if (v === null) return fewer;
      if (v >= 0.5)
        return en
          ? `Irregular gaps between orders (variation ${num(v, 1)})`
          : `下单间隔不规律（波动系数 ${num(v, 1)}）`;
      return en
        ? `Regular gaps between orders (variation ${num(v, 1)})`
        : `下单间隔较规律（波动系数 ${num(v, 1)}）`;
    case 'order_gap_trend':
      if (v === null) return fewer;
      return en
        ? `The last gap between orders was ${num(Math.exp(v), 1)}× the average`
        : `最近一次下单间隔是平均间隔的 ${num(Math.exp(v), 1)} 倍`;
    case 'order_gap_slope': {
      if (v === null) return fewer;
      const d = unslope(v);
      if (Math.abs(d) < 0.5) return en ? 'Steady gaps between orders' : '下单间隔保持稳定';
      return en
        ? `Gaps between orders ${d > 0 ? 'grow' : 'shrink'} by ${days(Math.abs(d), locale)} per order`
        : `下单间隔每单${d > 0 ? '拉长' : '缩短'} ${days(Math.abs(d), locale)}`;
    }
    case 'overdue_vs_median_log':
    case 'overdue_vs_mean_log': {
      if (v === null) return fewer;
      const which = f === 'overdue_vs_median_log' ? (en ? 'median' : '中位') : en ? 'average' : '平均';
      return en
        ? `Time since the last order is ${num(Math.exp(v), 1)}× the ${which} gap between orders`
        : `距上次下单已是${which}下单间隔的 ${num(Math.exp(v), 1)} 倍`;
    }
    case 'overdue_vs_longest_log': {
      if (v === null) return fewer;
      const r = Math.exp(v);
      if (r > 1)
        return en
          ? `Longer than the longest gap between orders so far (${num(r, 1)}×)`
          : `已超过以往最长的下单间隔（${num(r, 1)} 倍）`;
      return en
        ? `Time since the last order is ${pct(r)} % of the longest gap so far`
        : `距上次下单已达以往最长间隔的 ${pct(r)}%`;
    }
    case 'overdue_share':
      if (v === null) return fewer;
      return en
        ? `Waiting longer than ${pct(v)} % of this customer's gaps between orders`
        : `已比此前 ${pct(v)}% 的下单间隔都久`;
    case 'overdue_poisson':
      if (v === null) return fewer;
      return en
        ? `At the usual pace an order was ${pct(v)} % likely by now`
        : `按平时的节奏，此时已下单的概率为 ${pct(v)}%`;
    case 'order_value_mean_log':
      if (v === null) return never;
      return en ? `Average order of ${num(unlog(v))}` : `平均每单 ${num(unlog(v))}`;
    case 'order_value_trend':
      if (v === null) return never;
      return en
        ? `The last order was ${pct(Math.exp(v))} % of the average order value`
        : `最近一单金额是平均每单的 ${pct(Math.exp(v))}%`;
    case 'order_value_slope': {
      if (v === null) return fewer;
      const d = unslope(v);
      return en
        ? `Order value ${d < 0 ? 'falls' : 'rises'} by ${num(Math.abs(d))} per order`
        : `每单金额平均${d < 0 ? '下降' : '上升'} ${num(Math.abs(d))}`;
    }
  }
  return undefined;
};

const WINDOW = /^(.+)_(\d+)d$/;
const TREND = /^(.+)_trend_30d$/;
const AMOUNT = /^amount_(sum|avg|max)_(\d+)d$/;

/** The sentence of a churn reason in `locale`. `plan` names the events and channels behind slugs. */
export const reasonInWords = (reason: ReasonInput, locale: ReasonLocale, plan?: ReasonVocabulary): string => {
  const f = reason.feature;
  const v = isMissing(reason.value) ? null : reason.value;
  const en = locale === 'en';
  switch (f) {
    case 'days_since_last_event':
      if (v === null) return en ? 'No activity on record' : '没有任何行为记录';
      return en ? `No activity for ${days(v, locale)}` : `已 ${days(v, locale)}没有任何行为`;
    case 'days_since_last_order':
      if (v === null) return en ? 'Never ordered' : '从未下单';
      return en ? `No order for ${days(v, locale)}` : `已 ${days(v, locale)}没有下单`;
    case 'tenure_days':
      if (v === null) return en ? 'First activity unknown' : '首次行为时间未知';
      return en ? `First seen ${days(v, locale)} ago` : `首次出现于 ${days(v, locale)}前`;
    case 'days_since_register':
      if (v === null) return en ? 'Registration date unknown' : '注册时间未知';
      return en ? `Registered ${days(v, locale)} ago` : `注册于 ${days(v, locale)}前`;
    case 'events_total':
      return en ? `${int(v ?? 0)} events in total` : `累计 ${int(v ?? 0)} 次行为`;
    case 'orders_total':
      if (v === null || Math.round(v) === 0) return en ? 'Never ordered' : '从未下单';
      return en ? `${int(v)} order${Math.round(v) === 1 ? '' : 's'} in total` : `累计下单 ${int(v)} 次`;
    case 'events_trend_30d':
      return trendSentence(en ? 'activity' : '行为', v, locale);
    case 'order_interval_days':
      if (v === null) return en ? 'Fewer than two orders' : '下单不足两次';
      return en ? `Orders every ${days(v, locale)} on average` : `平均每 ${days(v, locale)}下单一次`;
    case 'order_recency_ratio':
      if (v === null) return en ? 'No usual gap between orders yet' : '尚无固定的下单间隔';
      return en
        ? `Time since the last order is ${num(v, 1)}× the usual gap between orders`
        : `距上次下单已是平时下单间隔的 ${num(v, 1)} 倍`;
  }
  const cadence = cadenceSentence(f, v, locale);
  if (cadence !== undefined) return cadence;
  const active = /^active_days_(\d+)d$/.exec(f);
  if (active) {
    const n = Math.round(v ?? 0);
    const w = active[1] as string;
    if (en)
      return n === 0
        ? `Not active on any of the last ${w} days`
        : `Active on only ${n} of the last ${w} days`;
    return n === 0 ? `近 ${w} 天没有活跃日` : `近 ${w} 天仅 ${n} 天活跃`;
  }
  const amount = AMOUNT.exec(f);
  if (amount) return amountSentence(amount[1] as 'sum' | 'avg' | 'max', Number(amount[2]), v, locale);
  if (f.startsWith('channel_')) {
    const slug = f.slice('channel_'.length);
    const channel = plan?.channels?.find((c) => c.slug === slug)?.channel ?? slug.replace(/_/g, ' ');
    if (v !== null && v >= 0.5) return en ? `Acquired through '${channel}'` : `通过“${channel}”渠道获客`;
    return en ? `Not acquired through '${channel}'` : `非“${channel}”渠道获客`;
  }
  const eventOf = (slug: string): string | undefined => {
    const known = plan?.eventTypes?.find((t) => t.slug === slug)?.event;
    if (known !== undefined) return known;
    // Without the plan only a well-known event name is trusted: another windowed feature (say a
    // mean gap over 90 days) must not read as a count of events.
    return EVENT_WORDS[slug] !== undefined ? slug : undefined;
  };
  const trend = TREND.exec(f);
  if (trend) {
    const event = eventOf(trend[1] as string);
    if (event !== undefined) return trendSentence(eventWords(event, locale), v, locale);
  }
  const windowed = WINDOW.exec(f);
  if (windowed) {
    const slug = windowed[1] as string;
    const w = Number(windowed[2]);
    if (slug === 'events') return countSentence({ zh: '行为', en: 'events' }, w, v, locale);
    if (slug === 'orders') return countSentence({ zh: '下单', en: 'orders' }, w, v, locale);
    const event = eventOf(slug);
    if (event !== undefined)
      return countSentence({ zh: eventWords(event, 'zh-CN'), en: eventWords(event, 'en') }, w, v, locale);
  }
  return fallback(f, v, locale);
};

/** The sentence in both console languages, keyed by locale (for an API answer read by either). */
export type ReasonTexts = Record<ReasonLocale, string>;

export const reasonTexts = (reason: ReasonInput, plan?: ReasonVocabulary): ReasonTexts => ({
  'zh-CN': reasonInWords(reason, 'zh-CN', plan),
  en: reasonInWords(reason, 'en', plan),
});
