import type { Locale } from '../../lib/i18n.tsx';

/**
 * The strategy matrix editor's own words (issue 17), kept with the feature so it needs no edit of
 * the shared dictionary; both languages always. Server refusals come back in English: `errorText`
 * turns each into the operator's language from its path and kind, never showing the raw text.
 */
const en = {
  title: 'Strategy matrix',
  intro:
    'Each user falls in the first cell that matches (value tier × churn risk × churn reason × lifecycle stage). A flow reaches only the users of its cells; do-not-disturb users get no recall marketing.',
  enabled: 'Enforced by the planner',
  dndScope: 'Do not disturb means',
  dndMarketing: 'no marketing campaign at all',
  dndFlows: 'no matrix flow only',
  needLadder: 'Flows must have a recall ladder',
  grid: 'Matrix',
  order: 'Cells in order (first match wins)',
  tierRow: 'Value tier',
  riskCol: 'Churn risk',
  reason: 'Churn reason',
  stage: 'Lifecycle stage',
  action: 'Flow',
  dnd: 'Do not disturb',
  users: 'Users',
  people: 'users',
  cost: 'First-step cost',
  audience: 'in the flow’s audience',
  noCell: 'No cell',
  total: 'All users',
  add: 'Add cell',
  up: 'Up',
  down: 'Down',
  remove: 'Remove',
  preview: 'Refresh counts',
  save: 'Save matrix',
  saved: 'Strategy matrix saved',
  adminOnly: 'Only admins change the matrix',
  shadowed: 'never matches: an earlier cell covers it',
  empty: 'No cells yet: add one, e.g. high value × high risk → a recall flow',
  version: 'Version',
  stale: 'Someone saved the matrix meanwhile: reload the page',
  problems: 'The matrix cannot be saved',
  row: 'Cell',
  perUser: 'per user',
  channel: 'first step',
  pickFlow: 'Choose a campaign',
};
type Words = typeof en;
const zhCN: Words = {
  title: '策略矩阵',
  intro:
    '每个用户只落入第一个匹配的单元（价值分层 × 流失风险 × 流失原因 × 生命周期）。流程只触达其单元内的用户；勿扰用户不接收召回营销。',
  enabled: '由规划器执行',
  dndScope: '勿扰范围',
  dndMarketing: '全部营销活动',
  dndFlows: '仅矩阵中的流程',
  needLadder: '流程须带召回阶梯',
  grid: '矩阵',
  order: '单元顺序（先匹配者生效）',
  tierRow: '价值分层',
  riskCol: '流失风险',
  reason: '流失原因',
  stage: '生命周期',
  action: '流程',
  dnd: '勿扰',
  users: '用户数',
  people: '人',
  cost: '首步成本',
  audience: '在流程受众内',
  noCell: '无匹配单元',
  total: '全部用户',
  add: '添加单元',
  up: '上移',
  down: '下移',
  remove: '删除',
  preview: '刷新人数',
  save: '保存矩阵',
  saved: '策略矩阵已保存',
  adminOnly: '仅管理员可修改矩阵',
  shadowed: '永不命中：前面的单元已覆盖',
  empty: '还没有单元：例如添加“高价值 × 高风险 → 召回流程”',
  version: '版本',
  stale: '矩阵已被他人修改，请刷新页面',
  problems: '矩阵无法保存',
  row: '单元',
  perUser: '每人',
  channel: '首步',
  pickFlow: '选择活动',
};

export const matrixWords = (locale: Locale): Words => (locale === 'en' ? en : zhCN);

/** The per-campaign ladder editor's column words (it showed English before). */
export const ladderWords = (locale: Locale) =>
  locale === 'en'
    ? { waitHours: 'Wait (hours)', minValue: 'Minimum user value (¥)', responseEvents: 'Response events: ' }
    : { waitHours: '等待（小时）', minValue: '最低用户价值（¥）', responseEvents: '响应事件：' };

const CHANNEL_WORDS: Record<string, [string, string]> = {
  push: ['推送', 'push'],
  in_app: ['站内信', 'in-app'],
  email: ['邮件', 'email'],
  sms: ['短信', 'SMS'],
  wecom: ['企业微信', 'WeCom'],
  call: ['外呼', 'call'],
  webhook: ['Webhook', 'webhook'],
};
export const channelWord = (locale: Locale, ch: string): string => {
  const w = CHANNEL_WORDS[ch];
  return w ? (locale === 'en' ? w[1] : w[0]) : ch;
};

/** One refusal of a save or preview (`{path, message}` from the API) in the operator's language. */
export const errorText = (locale: Locale, e: { path: string; message: string }): string => {
  const m = /cells\[(\d+)\]\.?([a-zA-Z.]*)/.exec(e.path);
  const where = m ? (locale === 'en' ? `Cell ${Number(m[1]) + 1}` : `第 ${Number(m[1]) + 1} 个单元`) : '';
  const field = m?.[2] ?? '';
  const kinds: [RegExp, string, string][] = [
    [/^unknown campaign/, '流程活动不存在', 'the flow’s campaign does not exist'],
    [/has no recall ladder/, '流程活动没有召回阶梯', 'the flow’s campaign has no recall ladder'],
    [/is transactional/, '事务类活动不能作为召回流程', 'a transactional campaign cannot be a recall flow'],
    [/is cancelled/, '流程活动已取消', 'the flow’s campaign is cancelled'],
    [/^unknown value tier/, '价值分层不在评分配置中', 'the value tier is not in the scoring configuration'],
    [
      /^unknown churn reason/,
      '流失原因不在评分配置中',
      'the churn reason is not in the scoring configuration',
    ],
    [/is also the id/, '单元编号重复', 'the cell id is used twice'],
  ];
  const kind = kinds.find(([re]) => re.test(e.message));
  const what = kind
    ? locale === 'en'
      ? kind[2]
      : kind[1]
    : locale === 'en'
      ? `invalid value${field ? ` (${field})` : ''}`
      : '取值无效';
  if (!where) return what;
  return locale === 'en' ? `${where}: ${what}` : `${where}：${what}`;
};

/** A campaign with its status in words: "名称（草稿）" / "Name (Draft)". */
export const withStatus = (locale: Locale, name: string, status: string): string =>
  locale === 'en' ? `${name} (${status})` : `${name}（${status}）`;
