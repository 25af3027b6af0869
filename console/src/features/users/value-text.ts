import type { Locale } from '../../lib/i18n.tsx';
import type { ValueModelWarning } from '../../lib/api-types.ts';

/**
 * The value model's words (features.md B7), in this feature: labels, and every warning as a
 * sentence from its code and numbers, so zh-CN never shows the API's English reason.
 */
const TEXT = {
  'zh-CN': {
    title: '客户价值模型',
    asOf: '拟合时间',
    buyers: '购买用户',
    repeat: '复购用户',
    trusted: '已采用',
    notTrusted: '未采用',
    meanPAlive: '平均存活概率',
    likelyGone: '可能已流失（存活概率 < 50%）',
    meanLtv: '平均 LTV',
    parameters: 'BG/NBD 参数（按天）',
    notUsed: '本次拟合不可信，未写入用户数值。',
    valuesFrom: '用户上的数值来自此前的拟合：',
    noValues: '用户上暂无价值数值，召回阶梯按近一年消费判断。',
    never: '尚未运行：下一次评分计算时拟合。',
    userValue: '客户价值',
    pAlive: '存活概率 P(alive)',
    expectedPurchases: '未来 {h} 天预计购买次数',
    expectedPurchasesPlain: '预计购买次数',
    expectedSpend: '预计单次消费',
    ltv: 'LTV（{h} 天，折现）',
    ltvPlain: 'LTV',
    noUserValue: '该用户暂无价值数值（未购买，或模型未被采用）。',
  },
  en: {
    title: 'Customer value model',
    asOf: 'Fitted as of',
    buyers: 'Buyers',
    repeat: 'Repeat buyers',
    trusted: 'In use',
    notTrusted: 'Not used',
    meanPAlive: 'Mean P(alive)',
    likelyGone: 'Likely gone (P(alive) < 50%)',
    meanLtv: 'Mean LTV',
    parameters: 'BG/NBD parameters (days)',
    notUsed: 'This fit cannot be trusted; no user values were written.',
    valuesFrom: 'User values come from an earlier fit: ',
    noValues: 'No user has value figures yet; recall ladders use the last year’s spend.',
    never: 'Not run yet: it is fitted at the next scoring run.',
    userValue: 'Customer value',
    pAlive: 'P(alive)',
    expectedPurchases: 'Expected purchases, next {h} days',
    expectedPurchasesPlain: 'Expected purchases',
    expectedSpend: 'Expected spend per purchase',
    ltv: 'LTV ({h} days, discounted)',
    ltvPlain: 'LTV',
    noUserValue: 'No value figures for this user (no purchase, or the model is not in use).',
  },
} as const;

export type ValueTextKey = keyof (typeof TEXT)['en'];

export const valueText = (locale: Locale, key: ValueTextKey, h?: number): string =>
  TEXT[locale][key].replace('{h}', h === undefined ? '' : String(h));

const num = (locale: Locale, v: number | undefined): string =>
  v === undefined
    ? '?'
    : new Intl.NumberFormat(locale === 'zh-CN' ? 'zh-CN' : 'en-US', { maximumSignificantDigits: 4 }).format(
        v,
      );

const MODEL = { bgnbd: 'BG/NBD', gamma_gamma: 'Gamma-Gamma' } as const;

/** One warning as a sentence: the API's own (English) message, or its zh-CN counterpart. */
export const warningText = (locale: Locale, w: ValueModelWarning): string => {
  if (locale === 'en') return w.message;
  const v = w.values;
  const m = MODEL[w.model];
  switch (w.code) {
    case 'too_few_repeat_buyers':
      return `仅 ${num(locale, v['repeat'])} / ${num(locale, v['customers'])} 位购买用户复购过，模型至少需要 ${num(locale, v['minimum'])} 位复购用户。`;
    case 'not_converged':
      return `${m} 拟合未收敛（${num(locale, v['evaluations'])} 次似然计算后停止）。`;
    case 'parameter_at_bound': {
      const [k, value] = Object.entries(v).find(([key]) => key !== 'start') ?? ['?', undefined];
      const towards =
        value !== undefined && v['start'] !== undefined && value < v['start'] ? '趋于 0' : '趋于无穷大';
      return `${m} 参数 ${k} = ${num(locale, value)} ${towards}，已到搜索范围边缘：数据无法确定该参数。`;
    }
    case 'p_alive_degenerate':
      return `${num(locale, v['repeat'])} 位复购用户中有 ${num(locale, v['certain'])} 位的存活概率 ≥ 0.99，其中 ${num(locale, v['lapsed'])} 位已沉默超过自身 3 个购买间隔：模型无法区分谁已流失。`;
    case 'infinite_mean_spend':
      return `Gamma-Gamma 参数 q = ${num(locale, v['q'])} ≤ 1：单次消费的均值为无穷大（消费分布尾部过重）。`;
    case 'fit_failed':
      return v['repeatWithSpend'] !== undefined
        ? `${m} 无法拟合：复购且金额为正的用户只有 ${num(locale, v['repeatWithSpend'])} 位，至少需要 2 位（请检查购买事件的金额字段）。`
        : `${m} 无法在当前数据上拟合。`;
  }
};
