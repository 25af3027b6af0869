/**
 * The planner's decisions about one user, in words an operator reads (zh-CN and en): why a
 * member was skipped or held out, or why they were never considered at all. Pure: the codes come
 * from the skip log (types.ts `SKIP_REASONS`, the ladder gate's reasons, trigger outcomes); a
 * code this table does not know yet (a newer rule) still reads as a sentence that names it.
 */

import { words as w, type Words } from '../words.ts';
import { budgetShortWords } from './budget-words.ts';

export type { Words };

const SKIP_WORDS: Record<string, Words> = {
  no_profile: w(
    '用户没有资料（从未上报过属性），无法判断触达方式',
    'the user has no profile, so no channel could be chosen',
  ),
  unreachable: w('所选渠道都没有联系方式或授权', 'no contact or consent on the campaign’s channels'),
  unsubscribed: w('用户已退订该渠道（或全部渠道）', 'the user opted out of the channel (or of all)'),
  cap_total: w('已达到总触达频次上限', 'the total contact cap was reached'),
  cap_channel: w('已达到该渠道的触达频次上限', 'the channel’s contact cap was reached'),
  re_eligibility: w('距上次触达未满重新触达间隔', 'too soon after the last contact (re-eligibility)'),
  quiet_hours: w(
    '处于免打扰时段，且无法顺延到允许的时间',
    'inside quiet hours, with no allowed time to move to',
  ),
  send_window: w('不在允许的发送时间窗口内', 'outside the allowed send window'),
  conflict: w(
    '同一时段已有更高优先级的任务触达该用户',
    'a higher-priority campaign reaches the user in the same slot',
  ),
  campaign_budget: w(
    '任务预算不足以覆盖这条消息和该用户的优惠',
    'the campaign’s budget left could not pay for this message and the user’s offer',
  ),
  department_budget: w(
    '部门预算不足以覆盖这条消息和该用户的优惠',
    'the department’s budget left could not pay for this message and the user’s offer',
  ),
  channel_quota: w('渠道配额已用完', 'the channel’s quota was used up'),
  strategy_matrix: w(
    '策略矩阵把该用户分到了其他流程、勿扰或无匹配单元',
    'the strategy matrix puts the user in another flow, do-not-disturb or no cell',
  ),
  // Recall ladders (core/strategies/ladder.ts, the first-step gate).
  do_not_disturb: w(
    '用户价值低于“不打扰”门槛',
    'the user’s value is below the ladder’s do-not-disturb floor',
  ),
  not_worth: w('用户价值不值得使用该渠道的成本', 'the user is not worth the channel’s cost'),
  top_of_ladder: w('召回阶梯已走到最后一步', 'the recall ladder has no further step'),
  responded: w('用户已响应，阶梯停止', 'the user responded; the ladder stopped'),
  waiting: w('仍在等待上一步的响应', 'still waiting for a response to the previous step'),
  // Issue 17: a ladder prices its next channel; channels a region or the caller numbers rule out.
  priced_out: w(
    '下一渠道的预期价值（回应率 × 用户价值）低于其成本，不升级',
    'the next channel’s expected value (response rate × user value) is below its cost: not escalated',
  ),
  ladder_price: w(
    '下一渠道的预期价值（回应率 × 用户价值）低于其成本，不升级',
    'the next channel’s expected value (response rate × user value) is below its cost: not escalated',
  ),
  channel_blocked: w(
    '该渠道无法触达该用户（地区不可达或无可用外呼号码），阶梯跳过此步',
    'the channel cannot reach the user (region or no healthy caller number): the ladder went past this step',
  ),
  min_gap: w(
    '与其他任务的营销消息间隔不足（默认 4 小时），且无法顺延',
    'too close to another campaign’s marketing message (4 h by default), with no later time to move to',
  ),
  // Triggered campaigns (campaigns/triggers.ts).
  condition_met: w('触发后“除非”事件已发生，不再发送', 'the “unless” event happened after the trigger'),
  duplicate_trigger: w(
    '同一批次中该用户已被触发过一次',
    'the user was triggered twice in one batch; one message is enough',
  ),
  campaign_stopped: w('触发时任务已不在运行', 'the campaign was no longer running'),
  not_planned: w('触发记录未被规划', 'the trigger was not planned'),
};

/**
 * A skip (or trigger) reason in words; `detail` (the rule and channel, as the planner wrote it) is
 * kept aside, except a budget skip's, which says the yuan ("预算不足：短信 ¥0.05 + 优惠券 ¥5.00…").
 */
export const skipWords = (reason: string, detail?: string | null): Words =>
  (reason === 'campaign_budget' || reason === 'department_budget' ? budgetShortWords(detail) : null) ??
  (reason === 'ladder_price' || reason === 'channel_blocked' || reason === 'unreachable'
    ? pricedWords(detail)
    : null) ??
  SKIP_WORDS[reason] ??
  w(`未触达（规则：${reason}）`, `not reached (rule: ${reason})`);

/**
 * A ladder's priced or gone-past step, or a region / caller-number block, says its own words:
 * '[ladder step N: ]<zh> / <en>' (ladder-pricing.ts, channel-reach.ts) → those two sentences.
 */
const pricedWords = (detail: string | null | undefined): Words | null => {
  const m = /^(?:ladder (?:moved past )?step \d+: )?(.+?) \/ (.+)$/u.exec(detail ?? '');
  return m && /[\u4e00-\u9fff]/u.test(m[1] ?? '') ? w(m[1] as string, m[2] as string) : null;
};

/** A holdout in words: the campaign's own control group, or the workspace's global one. */
export const holdoutWords = (reason: string | null): Words =>
  reason === 'global_control'
    ? w('属于全局对照组，按设计不触达', 'in the workspace’s global control group: never contacted by design')
    : w(
        '属于本任务的对照组（holdout），按设计不触达',
        'in the campaign’s holdout group: not contacted by design',
      );

/** Why a user was never considered for a campaign. */
export type NotConsidered =
  'campaign_not_run' | 'user_unknown' | 'not_in_audience' | 'no_trigger' | 'members_purged';

export const notConsideredWords = (why: NotConsidered, o: { status?: string } = {}): Words => {
  switch (why) {
    case 'campaign_not_run':
      return w(
        `任务尚未执行过（当前状态：${statusWords(o.status ?? '').zhCN}）`,
        `the campaign has not run yet (status: ${statusWords(o.status ?? '').en})`,
      );
    case 'user_unknown':
      return w('系统中没有这个用户（没有资料也没有事件）', 'no such user: no profile and no events');
    case 'not_in_audience':
      return w(
        '执行时该用户不在人群快照中',
        'the user was not in the audience snapshot when the campaign ran',
      );
    case 'no_trigger':
      return w(
        '该用户没有发生过触发事件（自任务批准以来）',
        'no triggering event of the user arrived since approval',
      );
    case 'members_purged':
      return w(
        '人群快照的成员已按保留策略删除，无法判断当时是否在人群中',
        'the snapshot’s members were deleted by retention, so membership cannot be told',
      );
  }
};

const STATUS_WORDS: Record<string, Words> = {
  draft: w('草稿', 'draft'),
  pending_review: w('待审批', 'pending review'),
  approved: w('已批准', 'approved'),
  scheduled: w('已排期', 'scheduled'),
  running: w('运行中', 'running'),
  paused: w('已暂停', 'paused'),
  finished: w('已结束', 'finished'),
  cancelled: w('已取消', 'cancelled'),
};

export const statusWords = (status: string): Words => STATUS_WORDS[status] ?? w(status, status);

/** A planned message's outbox status in words. */
const MESSAGE_WORDS: Record<string, Words> = {
  pending: w('已规划，等待发送', 'planned, waiting to be sent'),
  sending: w('正在发送', 'being sent'),
  sent: w('已发送', 'sent'),
  delivered: w('已送达', 'delivered'),
  failed: w('服务商回执：未送达', 'the provider reported it undelivered'),
  dead: w('发送失败（死信）', 'given up (dead letter)'),
  unknown: w('发送中断，结果未知（不会重发）', 'interrupted while sending; outcome unknown (never re-sent)'),
};

export const messageStatusWords = (status: string): Words => MESSAGE_WORDS[status] ?? w(status, status);
