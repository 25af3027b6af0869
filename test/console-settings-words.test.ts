import { describe, expect, it } from 'vitest';
import {
  policyToValues,
  valuesToPolicy,
  windowIndexOf,
  type Policy,
} from '../console/src/features/settings/policy-values.ts';
import { policyField, refusalWords, scoreField } from '../console/src/features/settings/settings-words.ts';
import { zhCN } from '../console/src/lib/i18n-dict.ts';
import { DEFAULT_POLICY } from '../src/core/campaigns/policy-schema.ts';
import { checkPolicy } from '../src/planner/settings-service.ts';

/**
 * The settings forms' pure parts: the policy survives the round trip through the form's values,
 * and the server's refusals (its real messages and paths) land next to the right field in Chinese.
 */
const t = (k: keyof typeof zhCN) => zhCN[k];

describe('settings forms: values and refusals', () => {
  it('the default policy goes through the form unchanged', () => {
    const policy = DEFAULT_POLICY as unknown as Policy;
    expect(valuesToPolicy(policyToValues(policy), policy)).toEqual({ ...policy, globalControlShare: 0 });
  });

  it("the server's own refusals become Chinese words next to their fields", () => {
    const bad = {
      ...DEFAULT_POLICY,
      defaultTimezone: 'Mars/Olympus',
      quietHours: { start: '22:00', end: '22:00' },
      sendWindows: { sms: [{ start: '09:00', end: '21:00' }], call: [{ start: '18:00', end: '09:00' }] },
    };
    const problems = checkPolicy(bad);
    const windows = policyToValues(bad as unknown as Policy).windows;
    const at = (ch: string, i: number) => windowIndexOf(windows, ch, i);
    expect(problems.map((p) => [policyField(p.path, at), refusalWords(p.message, t)])).toEqual([
      [['defaultTimezone'], '未知的时区'],
      [['quietStart'], '开始和结束时间相同'],
      [['windows', 1, 'end'], '结束时间须晚于开始时间'],
    ]);
    expect(refusalWords('Expected integer to be less or equal to 3650', t)).toBe('不能大于 3650');
    expect(refusalWords("'recall_relapsed' is an event Rekindle writes itself", t)).toBe(
      '这是系统自己写入的事件，不能算作用户的活跃',
    );
    expect(refusalWords('something new', t)).toBe('服务器拒绝了这个取值');
    expect(scoreField('config.churn.events[2]')).toEqual(['churnEvents']);
    expect(scoreField('config.rfm.tiers[1].total.min')).toEqual(['tiers', 1, 'min']);
    expect(scoreField('config.analysis.profile[0].edges[1]')).toBeNull();
  });
});
