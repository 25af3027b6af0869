/**
 * The matrix's dimensions in words (zh-CN and en), for the planner's skip details and the console
 * (which imports this file: it imports nothing). Tier names and reason codes are the workspace's
 * own; the defaults of the scoring configuration have words here, any other name shows as itself.
 */

export type SegmentDimension = 'tier' | 'risk' | 'reason' | 'stage';
export type SegmentLocale = 'zh-CN' | 'en';

const WORDS: Record<SegmentDimension, Record<string, [zh: string, en: string]>> = {
  tier: {
    any: ['任意价值', 'any value'],
    high: ['高价值', 'high value'],
    medium: ['中价值', 'medium value'],
    low: ['低价值', 'low value'],
    none: ['无消费', 'no purchase'],
  },
  risk: {
    any: ['任意风险', 'any risk'],
    high: ['高风险', 'high risk'],
    medium: ['中风险', 'medium risk'],
    low: ['低风险', 'low risk'],
    unscored: ['未评分', 'not scored'],
  },
  reason: {
    any: ['任意原因', 'any reason'],
    economic: ['价格敏感', 'price-sensitive'],
    bad_experience: ['体验不佳', 'bad experience'],
    low_returns: ['收益偏低', 'low returns'],
    market_policy: ['市场/政策', 'market or policy'],
    natural_loss: ['自然流失', 'natural loss'],
    competitor: ['转向竞品', 'went to a competitor'],
    other: ['其他原因', 'other reason'],
  },
  stage: {
    any: ['任意阶段', 'any stage'],
    new: ['新用户', 'new'],
    growing: ['成长期', 'growing'],
    mature: ['成熟期', 'mature'],
    silent: ['沉默期', 'silent'],
    churned: ['已流失', 'churned'],
  },
};

/** A dimension's value in words; a name without words (a workspace's own tier) shows as itself. */
export const segmentLabel = (locale: SegmentLocale, d: SegmentDimension, value: string): string => {
  const w = WORDS[d][value];
  if (!w) return value;
  return locale === 'en' ? w[1] : w[0];
};
