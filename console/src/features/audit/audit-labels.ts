import type { Locale, MessageKey } from '../../lib/i18n-dict.ts';
import { formatCents } from '../../lib/format.ts';
import { en as teamEn, zhCN as teamZh } from '../../lib/dict/team.ts';

/**
 * Audit entries in words: each action's label (i18n-dict `act.*`), what kind of object it
 * touched, and its details as short "label: value" pairs instead of JSON. An action without a
 * label (a newer one) shows its code.
 */

const ACTIONS = new Set<string>([
  'audience.create',
  'audience.update',
  'audience.delete',
  'audience.export',
  'audience.snapshot',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_set',
  'campaign.create',
  'campaign.update',
  'campaign.submit',
  'campaign.approve',
  'campaign.reject',
  'campaign.pause',
  'campaign.resume',
  'campaign.cancel',
  'campaign.finish',
  'campaign.run',
  'campaign.fail',
  'campaign.content_override',
  'churn_model.activate',
  'churn_model.score',
  'churn_model.train',
  'churn_reason.import',
  'churn_reason.record',
  'offer.redeem',
  'planner.budget',
  'planner.policy',
  'planner.quota',
  'provider.create',
  'provider.update',
  'provider.delete',
  'scores.compute',
  'scores.configure',
  'user.disabled',
  'user.unsubscribe',
  'user.created',
  'user.role_changed',
  'warning_rule.create',
  'warning_rule.update',
  'warning_rule.delete',
  'alert_rule.create',
  'alert_rule.update',
  'alert_rule.delete',
  'alert_destination.create',
  'alert_destination.delete',
  'catalog.upload',
  'catalog.delete',
  'access.refused',
  'ladder.step',
  'trigger.send',
  'outbox.retry',
  'blocked_word.add',
  'blocked_word.remove',
  'caller_number.add',
  'caller_number.flag',
  'caller_number.retire',
  'caller_number.clear',
  'offer.bonus_grant',
  'strategy.matrix',
  'campaign.copy',
  'provider.test_send',
  'user.enabled',
  'write_key.created',
  'write_key.revoked',
]);

export const actionKey = (action: string): MessageKey | null =>
  ACTIONS.has(action) ? (`act.${action}` as MessageKey) : null;

type Pair = Record<Locale, string>;

const OBJECTS: Record<string, Pair> = {
  user: { 'zh-CN': '用户', en: 'user' },
  login_name: { 'zh-CN': '登录名', en: 'login name' },
  campaign: { 'zh-CN': '任务', en: 'campaign' },
  audience: { 'zh-CN': '人群', en: 'audience' },
  route: { 'zh-CN': '接口', en: 'route' },
  message: { 'zh-CN': '消息', en: 'message' },
  alert_rule: { 'zh-CN': '告警规则', en: 'alert rule' },
  alert_destination: { 'zh-CN': '告警接收方', en: 'alert destination' },
  catalog: { 'zh-CN': '商品目录', en: 'catalog' },
  catalog_item: { 'zh-CN': '商品', en: 'catalog item' },
  provider: { 'zh-CN': '服务商', en: 'provider' },
  warning_rule: { 'zh-CN': '预警规则', en: 'warning rule' },
  blocked_word: { 'zh-CN': '屏蔽词', en: 'blocked word' },
  caller_number: { 'zh-CN': '外呼号码', en: 'caller number' },
  channel: { 'zh-CN': '渠道', en: 'channel' },
  churn_model: { 'zh-CN': '流失模型', en: 'churn model' },
  churn_reasons: { 'zh-CN': '流失原因', en: 'churn reasons' },
  department: { 'zh-CN': '部门', en: 'department' },
  offer: { 'zh-CN': '权益', en: 'offer' },
  planner_policy: { 'zh-CN': '触达规则', en: 'contact policy' },
  score_config: { 'zh-CN': '评分配置', en: 'scoring configuration' },
  score_run: { 'zh-CN': '评分批次', en: 'scoring run' },
  strategy_matrix: { 'zh-CN': '策略矩阵', en: 'strategy matrix' },
  write_key: { 'zh-CN': '写入密钥', en: 'write key' },
};

export const objectLabel = (type: string, locale: Locale): string => OBJECTS[type]?.[locale] ?? type;

const DETAIL_KEYS: Record<string, Pair> = {
  name: { 'zh-CN': '名称', en: 'name' },
  role: { 'zh-CN': '角色', en: 'role' },
  from: { 'zh-CN': '原为', en: 'from' },
  to: { 'zh-CN': '改为', en: 'to' },
  by: { 'zh-CN': '操作来源', en: 'by' },
  reason: { 'zh-CN': '原因', en: 'reason' },
  channel: { 'zh-CN': '渠道', en: 'channel' },
  step: { 'zh-CN': '步骤', en: 'step' },
  users: { 'zh-CN': '人数', en: 'users' },
  sent: { 'zh-CN': '发送', en: 'sent' },
  skipped: { 'zh-CN': '跳过', en: 'skipped' },
  holdout: { 'zh-CN': '对照组', en: 'held out' },
  stored: { 'zh-CN': '写入', en: 'stored' },
  problems: { 'zh-CN': '问题', en: 'problems' },
  format: { 'zh-CN': '格式', en: 'format' },
  user: { 'zh-CN': '用户', en: 'user' },
  attempts: { 'zh-CN': '尝试次数', en: 'attempts' },
  kind: { 'zh-CN': '类型', en: 'kind' },
  enabled: { 'zh-CN': '启用', en: 'enabled' },
  changed: { 'zh-CN': '修改项', en: 'changed' },
  revokedSessions: { 'zh-CN': '结束会话数', en: 'sessions ended' },
  provider: { 'zh-CN': '服务商', en: 'provider' },
  keepPin: { 'zh-CN': '仅原服务商', en: 'same provider only' },
  campaignId: { 'zh-CN': '任务', en: 'campaign' },
  runId: { 'zh-CN': '执行批次', en: 'run' },
  version: { 'zh-CN': '版本', en: 'version' },
  note: { 'zh-CN': '备注', en: 'note' },
  purpose: { 'zh-CN': '用途', en: 'purpose' },
  members: { 'zh-CN': '成员数', en: 'members' },
  messages: { 'zh-CN': '消息数', en: 'messages' },
  level: { 'zh-CN': '级别', en: 'level' },
  flag: { 'zh-CN': '标记', en: 'flag' },
  word: { 'zh-CN': '词', en: 'word' },
  amount: { 'zh-CN': '数量', en: 'amount' },
  costCents: { 'zh-CN': '成本', en: 'cost' },
  cells: { 'zh-CN': '单元数', en: 'cells' },
  bonusCostCents: { 'zh-CN': '奖励成本', en: 'bonus cost' },
  auc: { 'zh-CN': 'AUC', en: 'AUC' },
  cutoff: { 'zh-CN': '截止时间', en: 'cutoff' },
  horizonDays: { 'zh-CN': '预测窗口（天）', en: 'horizon (days)' },
  tierChanged: { 'zh-CN': '价值分层变化', en: 'tier changes' },
  warningsRaised: { 'zh-CN': '触发预警', en: 'warnings raised' },
  lifecycleChanged: { 'zh-CN': '生命周期变化', en: 'lifecycle changes' },
  scored: { 'zh-CN': '评分人数', en: 'scored' },
  trained: { 'zh-CN': '训练样本', en: 'trained on' },
  rows: { 'zh-CN': '行数', en: 'rows' },
  userId: { 'zh-CN': '用户', en: 'user' },
  secretsChanged: { 'zh-CN': '已更新密钥', en: 'secrets updated' },
  secretsCleared: { 'zh-CN': '已清除密钥', en: 'secrets cleared' },
};

/** A provider's secrets by the names the providers API records (provider-kinds.ts), in words. */
const SECRET_NAMES: Record<string, Pair> = {
  dkim: { 'zh-CN': 'DKIM 私钥', en: 'DKIM private key' },
  password: { 'zh-CN': '密码', en: 'password' },
  username: { 'zh-CN': '用户名', en: 'user name' },
  accessKeyId: { 'zh-CN': '访问密钥 ID', en: 'AccessKey ID' },
  accessKeySecret: { 'zh-CN': '访问密钥', en: 'AccessKey secret' },
  secretId: { 'zh-CN': '密钥 ID', en: 'SecretId' },
  secretKey: { 'zh-CN': '密钥', en: 'SecretKey' },
  clientEmail: { 'zh-CN': '服务账号邮箱', en: 'service account e-mail' },
  privateKey: { 'zh-CN': '服务账号私钥', en: 'service account private key' },
  appSecret: { 'zh-CN': '公众号应用密钥', en: 'official account AppSecret' },
  corpSecret: { 'zh-CN': '应用密钥', en: 'application secret' },
  webhookSecret: { 'zh-CN': '签名密钥', en: 'signing secret' },
  secret: { 'zh-CN': '签名密钥', en: 'signing secret' },
  receiptSecret: { 'zh-CN': '回执签名密钥', en: 'receipt signing secret' },
  authValue: { 'zh-CN': '认证头取值', en: 'auth header value' },
};
const SECRET_LISTS = new Set(['secretsChanged', 'secretsCleared']);

/** The settings a provider change names (`changed`, provider-service.ts). */
const PROVIDER_FIELDS: Record<string, Pair> = {
  name: { 'zh-CN': '名称', en: 'name' },
  priority: { 'zh-CN': '优先级', en: 'priority' },
  ratePerSecond: { 'zh-CN': '每秒发送上限', en: 'rate per second' },
  enabled: { 'zh-CN': '启用状态', en: 'enabled' },
  config: { 'zh-CN': '配置', en: 'settings' },
};

/** Technical details people do not read (the browser string, ids of sessions, raw instants). */
const HIDDEN = new Set(['userAgent', 'sessionId', 'asOf', 'params', 'qualifyingMessageId']);

const VALUES: Record<string, Pair> = {
  push: { 'zh-CN': '推送', en: 'push' },
  in_app: { 'zh-CN': '站内信', en: 'in-app' },
  email: { 'zh-CN': '邮件', en: 'e-mail' },
  sms: { 'zh-CN': '短信', en: 'SMS' },
  wecom: { 'zh-CN': '企业微信', en: 'WeCom' },
  call: { 'zh-CN': '电话', en: 'call' },
  admin: { 'zh-CN': '管理员', en: 'admin' },
  reviewer: { 'zh-CN': '审核员', en: 'reviewer' },
  operator: { 'zh-CN': '运营', en: 'operator' },
  viewer: { 'zh-CN': '只读', en: 'viewer' },
  planner: { 'zh-CN': '系统规划', en: 'planner' },
  cli: { 'zh-CN': '命令行', en: 'CLI' },
  draft: { 'zh-CN': '草稿', en: 'draft' },
  pending_review: { 'zh-CN': '待审批', en: 'pending review' },
  scheduled: { 'zh-CN': '已排期', en: 'scheduled' },
  running: { 'zh-CN': '运行中', en: 'running' },
  paused: { 'zh-CN': '已暂停', en: 'paused' },
  finished: { 'zh-CN': '已结束', en: 'finished' },
  cancelled: { 'zh-CN': '已取消', en: 'cancelled' },
  wrong_password: { 'zh-CN': '密码错误', en: 'wrong password' },
  unknown_user: { 'zh-CN': '用户不存在', en: 'unknown user' },
  no_password: { 'zh-CN': '未设置密码', en: 'no password set' },
  disabled: { 'zh-CN': '已停用', en: 'disabled' },
  max_attempts: { 'zh-CN': '多次重试失败', en: 'failed on every retry' },
  info: { 'zh-CN': '提示', en: 'info' },
  warning: { 'zh-CN': '警告', en: 'warning' },
  critical: { 'zh-CN': '严重', en: 'critical' },
  harassment: { 'zh-CN': '骚扰标记', en: 'flagged as harassment' },
  healthy: { 'zh-CN': '正常', en: 'healthy' },
  flagged: { 'zh-CN': '已标记', en: 'flagged' },
  retired: { 'zh-CN': '已停用', en: 'retired' },
  other: { 'zh-CN': '其他', en: 'other' },
  'every message has an outcome': { 'zh-CN': '所有消息均已有发送结果', en: 'every message has an outcome' },
};

const value = (v: unknown, locale: Locale): string =>
  v === null || v === undefined
    ? '—'
    : typeof v === 'boolean'
      ? locale === 'zh-CN'
        ? v
          ? '是'
          : '否'
        : String(v)
      : typeof v === 'string'
        ? (VALUES[v]?.[locale] ?? v)
        : typeof v === 'number'
          ? String(v)
          : Array.isArray(v)
            ? v.map((x) => value(x, locale)).join('、')
            : '…';

const providerKindWords = (kind: string, locale: Locale): string | null => {
  const key = `prov.kind.${kind}`;
  if (!Object.hasOwn(teamEn, key)) return null;
  return (locale === 'zh-CN' ? teamZh : teamEn)[key as keyof typeof teamEn];
};

const PURPOSES: Record<string, string> = { campaign: '任务发送', export: '导出', manual: '手动快照' };

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** One detail's value in words: money (fen) in yuan, instants in local time, long decimals cut. */
const detailValue = (key: string, v: unknown, locale: Locale): string => {
  if (typeof v === 'number' && key.endsWith('Cents')) return formatCents(locale, v);
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string' && ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v)))
    return new Date(v).toLocaleString(locale, { hour12: false });
  return value(v, locale);
};

/**
 * Details as "label: value" pairs, in words; nested objects elided. In zh-CN a detail without a
 * label is left out rather than shown under its code name (English shows it as is).
 */
export const detailText = (details: unknown, locale: Locale): string => {
  if (typeof details !== 'object' || details === null) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(details as Record<string, unknown>)) {
    if (HIDDEN.has(k) || (typeof v === 'object' && v !== null && !Array.isArray(v))) continue;
    const label = DETAIL_KEYS[k]?.[locale] ?? (locale === 'zh-CN' ? null : k);
    if (label === null) continue;
    if (SECRET_LISTS.has(k) && Array.isArray(v)) {
      // Names of secrets (never their values); an empty list says nothing.
      if (v.length > 0)
        parts.push(`${label}: ${v.map((n) => SECRET_NAMES[String(n)]?.[locale] ?? String(n)).join('、')}`);
      continue;
    }
    if (
      k === 'changed' &&
      Array.isArray(v) &&
      v.every((f) => typeof f === 'string' && f in PROVIDER_FIELDS)
    ) {
      if (v.length > 0)
        parts.push(`${label}: ${v.map((f) => PROVIDER_FIELDS[String(f)]?.[locale] ?? '').join('、')}`);
      continue;
    }
    if (locale === 'zh-CN' && typeof v === 'string') {
      // A generated id (a campaign's, a run's) says nothing in words; a snapshot's purpose names one.
      if (isGeneratedId(v) || /^[a-z]+_[0-9a-f]{6,}@\d+$/.test(v)) continue;
      const purpose = /^(campaign|export|manual):/.exec(v);
      if (purpose !== null) {
        parts.push(`${label}: ${PURPOSES[purpose[1] ?? ''] ?? v}`);
        continue;
      }
    }
    if (k === 'kind' && typeof v === 'string') {
      // A delivery provider's kind (smtp, sms_http…) by the name the channels page gives it.
      const words = providerKindWords(v, locale);
      if (words !== null) {
        parts.push(`${label}: ${words}`);
        continue;
      }
    }
    parts.push(`${label}: ${detailValue(k, v, locale)}`);
  }
  return parts.join(locale === 'zh-CN' ? '；' : '; ');
};

/**
 * Generated ids (`cm_9615c620dab61fc6`, `run_20261207T091838_2125a6`) say nothing to an operator:
 * the object is named by its kind, the id kept for the tooltip. Names people chose are shown.
 */
export const isGeneratedId = (id: string): boolean => /^[a-z]{1,12}_[0-9A-Za-z_]{6,}$/.test(id);

/** Entries the server made on its own (the planner) or the `rekindle` CLI name no person. */
export const bySystem = (details: unknown): boolean => {
  const by = typeof details === 'object' && details !== null ? (details as { by?: unknown }).by : undefined;
  return by === 'planner' || by === 'cli';
};
