import type { ChurnDefinition } from './churn-definition.ts';

/** Why a user has no churn risk, in both console languages (a null score alone tells an operator nothing). */
export interface NotScored {
  code: 'no_model' | 'not_scored_yet' | 'not_eligible';
  text: { 'zh-CN': string; en: string };
}

const list = (events: readonly string[], sep: string): string => events.join(sep);

/**
 * The explanation for an unscored user: no active model; a model but no scoring run with it
 * yet; or, after a run, a user outside the model's question (no activity event in its window:
 * already churned, or not active yet).
 */
export const notScoredReason = (
  state: { activeModel: null } | { activeModel: { definition: ChurnDefinition; scoredSince: boolean } },
): NotScored => {
  const m = state.activeModel;
  if (m === null)
    return {
      code: 'no_model',
      text: {
        'zh-CN': '还没有启用的流失模型：训练并启用一个模型后，下一次评分会给出流失风险。',
        en: 'No churn model is active yet: train and activate one, and the next scoring run gives a risk.',
      },
    };
  if (!m.scoredSince)
    return {
      code: 'not_scored_yet',
      text: {
        'zh-CN': '当前模型还没有评分运行：运行一次流失评分后再看。',
        en: 'The active model has not scored anyone yet: run churn scoring, then look again.',
      },
    };
  const d = m.definition;
  const days = d.activeDays;
  const events = d.activityEvents;
  if (days === 0)
    return {
      code: 'not_eligible',
      text: {
        'zh-CN': '该用户在上次评分时没有任何历史行为，不在流失预测范围内。',
        en: 'This user had no history at the last scoring run, so the model did not score them.',
      },
    };
  return {
    code: 'not_eligible',
    text: {
      'zh-CN':
        events === null
          ? `该用户在上次评分前 ${days} 天内没有任何行为，按流失定义已不在预测范围内（已流失或尚未活跃）。`
          : `该用户在上次评分前 ${days} 天内没有 ${list(events, '、')}，按流失定义已不在预测范围内（已流失或尚未活跃）。`,
      en:
        events === null
          ? `This user had no event in the ${days} days before the last scoring run, so by the churn definition they are outside the model's question (churned already, or not active yet).`
          : `This user did none of ${list(events, ', ')} in the ${days} days before the last scoring run, so by the churn definition they are outside the model's question (churned already, or not active yet).`,
    },
  };
};
