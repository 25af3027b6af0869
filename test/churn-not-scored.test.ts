import { describe, expect, it } from 'vitest';
import { notScoredReason } from '../src/core/models/churn/not-scored.ts';

/** Why a user has no churn risk: each case in both console languages, naming the definition. */
describe('notScoredReason', () => {
  const definition = {
    horizonDays: 30,
    retentionEvents: ['login'],
    activeDays: 30,
    activityEvents: ['app_open', 'login', 'invest'],
  };

  it('says when no model is active, and when the active one has not scored yet', () => {
    expect(notScoredReason({ activeModel: null }).code).toBe('no_model');
    const r = notScoredReason({ activeModel: { definition, scoredSince: false } });
    expect(r.code).toBe('not_scored_yet');
    expect(r.text['zh-CN']).toContain('评分');
  });

  it('names the window and the activity events of the churn definition for a user outside it', () => {
    const r = notScoredReason({ activeModel: { definition, scoredSince: true } });
    expect(r.code).toBe('not_eligible');
    expect(r.text['zh-CN']).toContain('30 天内没有 app_open、login、invest');
    expect(r.text.en).toContain('none of app_open, login, invest in the 30 days');
    const anyEvent = notScoredReason({
      activeModel: { definition: { ...definition, activityEvents: null }, scoredSince: true },
    });
    expect(anyEvent.text.en).toContain('no event in the 30 days');
  });
});
